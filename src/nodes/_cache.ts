/**
 * Step caching for task steps (the index is src/cache/), the lookup. Before the attempts,
 * `openTaskCache` computes the step's cache key (./_cache_key.ts) and looks it up in the
 * run-log store's StepCache:
 * - a hit copies the cached outputs into this run (./_cache_restore.ts) and returns the attempt
 *   to record;
 * - a miss says why (which input changed since the step's latest cached run) and the step runs;
 *   its attempts carry the miss, and a successful one is saved for later runs (./_cache_save.ts).
 * A cache never fails a step: a key that cannot be computed, or cached outputs that are gone or
 * were overwritten, is a miss with the reason recorded.
 */
import { cacheSettings } from '../cache/index.js';
import type { CacheEntry, CacheInputs, CacheSettings, StepCache } from '../cache/types.js';
import { isRunnableError } from '../errors.js';
import type { RunContext } from '../engine/context.js';
import type { Graph, TaskNode } from '../graph/model.js';
import type { IterVars } from '../graph/names.js';
import type { AttemptCache, DataCatalog, StepAttempt } from '../runlog/types.js';
import { taskKinds } from '../tasks/index.js';
import { durationMs, now } from './_common.js';
import { cacheKey, type ComputedKey } from './_cache_key.js';
import { restore } from './_cache_restore.js';
import { putAdmission } from './_put_claims.js';
import { cacheEntry } from './_cache_save.js';

export interface TaskCache {
  /** a hit: the attempt to record, its outputs already in this run (reported to the observer) */
  readonly hit?: StepAttempt;
  /** records the miss on an attempt that runs */
  annotate(attempt: StepAttempt): void;
  /** saves a successful attempt; `newEntries`: the step's data_catalog entries added in this execution */
  save(attempt: StepAttempt, newEntries: DataCatalog[]): Promise<void>;
}

/**
 * The cache of one task execution, or undefined when the step is not cached (no `cache: true`,
 * and config `step-cache` is not `all`, or the step says `cache: false`). On a hit the restored
 * data_catalog entries are appended to `catalog`.
 */
export async function openTaskCache(
  rc: RunContext,
  node: TaskNode,
  graph: Graph,
  frames: IterVars,
  internalName: string,
  attemptNumber: number,
  catalog: DataCatalog[],
): Promise<TaskCache | undefined> {
  if (node.cache === false) return undefined;
  const settings = rc.cache ?? (await settingsOfRun(rc));
  if (!(node.cache ?? settings.mode === 'all')) return undefined;

  const start = now();
  let computed: ComputedKey;
  try {
    computed = await cacheKey(rc, node, graph, frames, internalName);
  } catch (err) {
    return new Miss(rc, node, internalName, settings.index, undefined, `cannot compute the cache key: ${errorText(err)}`);
  }
  const index = settings.index;
  if (!index) return new Miss(rc, node, internalName, undefined, computed, `the '${settings.storeType}' run-log store keeps no step cache`);
  if (settings.bypass) return new Miss(rc, node, internalName, index, computed, 'disabled by --no-cache');

  let reason: string;
  try {
    const entry = await index.lookup(computed.key);
    const restored = entry && (await restore(rc, entry, computed.used, attemptNumber, start, putAdmission(rc, graph, frames, internalName)));
    if (restored && 'attempt' in restored) {
      catalog.push(...restored.catalog);
      const attempt = restored.attempt;
      rc.observer.stepStarted?.({ internalName, type: 'task', attempt: attemptNumber });
      rc.observer.stepFinished?.({ internalName, type: 'task', status: 'SUCCESS', durationMs: durationMs(attempt), message: attempt.message, cached: true });
      return { hit: attempt, annotate: () => undefined, save: async () => undefined };
    }
    reason = restored ? `cached result of run ${entry!.run_id} cannot be restored: ${restored.problem}` : whatChanged(computed.inputs, await index.latestFor(internalName));
  } catch (err) {
    reason = `step cache unreadable (${index.location}): ${errorText(err)}`;
  }
  return new Miss(rc, node, internalName, index, computed, reason);
}

/**
 * A step executed in its own process (`execute-single-node`) gets no settings from its caller:
 * the run header records them (`run_config['step-cache']`, `run_config.no_cache`).
 */
async function settingsOfRun(rc: RunContext): Promise<CacheSettings> {
  const config = (await rc.log.header())?.run_config ?? {};
  const section = config['step-cache'] as { type?: unknown } | undefined;
  return cacheSettings(rc.log.store, section?.type === 'all' ? 'all' : 'per-step', config.no_cache === true);
}

class Miss implements TaskCache {
  private readonly info: AttemptCache;
  constructor(
    private readonly rc: RunContext,
    private readonly node: TaskNode,
    private readonly internalName: string,
    private readonly index: StepCache | undefined,
    private readonly computed: ComputedKey | undefined,
    reason: string,
  ) {
    this.info = { status: 'miss', key: computed?.key ?? '', reason };
  }

  annotate(attempt: StepAttempt): void {
    attempt.cache = { ...this.info };
  }

  async save(attempt: StepAttempt, newEntries: DataCatalog[]): Promise<void> {
    const { rc, index, computed } = this;
    if (!index || !computed || attempt.status !== 'SUCCESS') return;
    try {
      await index.save(await cacheEntry(rc, this.node, this.internalName, computed, attempt, newEntries));
    } catch (err) {
      // The step succeeded; only later runs lose the shortcut.
      rc.observer.output?.(this.internalName, 2, `runnable: step cache: could not save ${this.internalName}: ${errorText(err)}\n`);
    }
  }
}

// ---- why a miss

/** What differs from the step's latest cached entry, e.g. "parameter 'n' changed; input file data/x.csv changed". */
export function whatChanged(now: CacheInputs, before: CacheEntry | undefined): string {
  if (!before) return 'no earlier run';
  const was = before.inputs;
  const reasons: string[] = [];
  if (was.kind !== now.kind) reasons.push(`command_type changed (${was.kind} -> ${now.kind})`);
  else if (was.command !== now.command) reasons.push('command changed');
  else if (was.source !== now.source) reasons.push(taskKinds.find(now.kind)?.sourceChanged ?? 'code changed');
  if (was.outputs !== now.outputs) reasons.push('returns or catalog put changed');
  diff(was.params, now.params, (n, how) => reasons.push(`parameter '${n}' ${how}`));
  diff(was.files, now.files, (n, how) => reasons.push(`input file ${n} ${how}`));
  if (!reasons.length) reasons.push(`cache entry of run ${before.run_id} is missing`);
  return reasons.join('; ');
}

function diff(was: Record<string, string>, now: Record<string, string>, report: (name: string, how: string) => void): void {
  for (const name of [...new Set([...Object.keys(was), ...Object.keys(now)])].sort()) {
    if (!(name in was)) report(name, 'is new');
    else if (!(name in now)) report(name, 'is gone');
    else if (was[name] !== now[name]) report(name, 'changed');
  }
}

function errorText(err: unknown): string {
  return isRunnableError(err) ? err.message : err instanceof Error ? err.message : String(err);
}
