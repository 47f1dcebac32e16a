/**
 * Step caching, a save: what a successful attempt leaves in the index for later runs (its
 * outputs, the hashes its objects and `put` files had) so that a hit can restore and check them.
 */
import type { CacheEntry, CachedFile } from '../cache/types.js';
import type { RunContext } from '../engine/context.js';
import type { TaskNode } from '../graph/model.js';
import type { DataCatalog, StepAttempt } from '../runlog/types.js';
import { sha256 } from '../util/sha256.js';
import { now } from './_common.js';
import { FORMAT, type ComputedKey } from './_cache_key.js';

/** `newEntries`: the step's data_catalog entries added in this execution. */
export async function cacheEntry(rc: RunContext, node: TaskNode, internalName: string, computed: ComputedKey, attempt: StepAttempt, newEntries: DataCatalog[]): Promise<CacheEntry> {
  const objects: Record<string, string> = {};
  for (const p of Object.values(attempt.output_parameters)) {
    if (p.kind === 'object') objects[String(p.value)] = sha256(await rc.catalog.readFile(rc.runId, String(p.value)));
  }
  // a file put twice (two attempts' puts) is recorded once, as it was last put
  const puts = new Map<string, DataCatalog>();
  for (const e of newEntries) if (e.stage === 'put') puts.set(e.name, e);
  const stored = node.catalog?.storeCopy ?? true;
  const files: CachedFile[] = [...puts.values()].map((e) => ({ name: e.name, data_hash: e.data_hash, stored }));
  return {
    v: FORMAT,
    key: computed.key,
    step: internalName,
    run_id: rc.runId,
    attempt_number: attempt.attempt_number,
    created_at: now(),
    inputs: computed.inputs,
    output_parameters: attempt.output_parameters,
    user_defined_metrics: attempt.user_defined_metrics,
    objects,
    files,
    catalog_handler_location: [...puts.values()][0]?.catalog_handler_location ?? '',
  };
}
