/**
 * Step caching, a hit: copies a cached entry's outputs into this run (object parameters and
 * stored `put` files into the run's catalog, `put` files into the working directory), through
 * the catalog's interface and its capabilities (`hashes`, `copyBetweenRuns`, each with its
 * fallback), so any catalog serves. Everything is checked against the hashes the entry recorded
 * before anything is copied, so a source overwritten or deleted since (a later step of that run
 * putting the same path, a cleaned catalog) is a miss, not a wrong hit.
 */
import path from 'node:path';
import { escapePath } from 'tinyglobby';
import type { CacheEntry } from '../cache/types.js';
import { catalogHashes, copyBetweenRuns } from '../catalog/index.js';
import type { RunContext } from '../engine/context.js';
import type { DataCatalog, Parameters, StepAttempt } from '../runlog/types.js';
import { mapLimit } from '../util/map-limit.js';
import { fileHash, sha256 } from '../util/sha256.js';
import { newAttempt, now } from './_common.js';
import type { Admit } from './_put_claims.js';
import { isRunnableError } from '../errors.js';

/** copies at once: enough to overlap I/O (or requests), few enough not to exhaust descriptors */
const CONCURRENCY = 16;

export interface Restored {
  attempt: StepAttempt;
  /** the step's data_catalog entries for the restored `put` files */
  catalog: DataCatalog[];
}

/**
 * `used`: the parameters the task receives now (the hit's input_parameters); `number`, `start`:
 * the attempt's; `admit`: the step's put claims (./_put_claims.ts), asked for each `put` file
 * before anything is copied, as a `put` would (a refusal is a miss: the step runs and its put says why).
 * No pattern selected them, so a sibling's file with the same bytes is admitted.
 */
export async function restore(
  rc: RunContext,
  entry: CacheEntry,
  used: Parameters,
  number: number,
  start: string,
  admit?: Admit,
): Promise<Restored | { problem: string }> {
  const { catalog, runId, cwd } = rc;
  const src = entry.run_id;
  // each file's name as the `get` glob that matches it alone
  const globs = (files: { name: string }[]) => files.map((f) => escapePath(f.name));

  // 1. check
  const objects = new Map<string, Buffer>();
  for (const [ref, hash] of Object.entries(entry.objects)) {
    const bytes = await catalog.readFile(src, ref).catch(() => undefined);
    if (!bytes) return { problem: `object '${ref}' is gone from its catalog` };
    if (sha256(bytes) !== hash) return { problem: `object '${ref}' was overwritten in its catalog` };
    objects.set(ref, bytes);
  }
  const stored = entry.files.filter((f) => f.stored);
  const inCatalog = await catalogHashes(catalog, src, globs(stored));
  for (const file of entry.files) {
    if (file.stored) {
      if (inCatalog[file.name] !== file.data_hash) return { problem: `file ${file.name} is gone from or changed in its catalog` };
    } else if ((await fileHash(path.resolve(cwd, file.name))) !== file.data_hash) {
      // store_copy: false — the catalog has only the hash; the working directory must still hold the file
      return { problem: `file ${file.name} was put with store_copy: false and the working directory no longer has it` };
    }
  }

  if (admit) {
    try {
      for (const file of entry.files) await admit({ name: file.name, sha256: file.data_hash });
    } catch (err) {
      return { problem: isRunnableError(err) ? err.message : String(err) };
    }
  }

  // 2. copy: into this run's catalog, then from it into the working directory, as a `get` would
  for (const [ref, bytes] of objects) await catalog.writeFile(runId, ref, bytes);
  if (src !== runId) await mapLimit(stored, CONCURRENCY, (f) => copyBetweenRuns(catalog, src, runId, f.name));
  const got = stored.length ? await catalog.get(runId, globs(stored), cwd) : [];
  const gotHashes = new Map(got.map((e) => [e.name, e.data_hash]));
  const lost = stored.find((f) => gotHashes.get(f.name) !== f.data_hash);
  if (lost) return { problem: `file ${lost.name} changed in the catalog while it was restored` };

  // this catalog's location where it recorded one; the source's for files it holds no copy of
  const location = got[0]?.catalog_handler_location ?? entry.catalog_handler_location;
  const restored: DataCatalog[] = entry.files.map((f) => ({
    name: f.name,
    data_hash: f.data_hash,
    catalog_relative_path: `${runId}/${f.name}`,
    catalog_handler_location: location,
    stage: 'put',
  }));
  const attempt: StepAttempt = {
    ...newAttempt(number, start),
    end_time: now(),
    status: 'SUCCESS',
    message: `cache hit: run ${src} step ${entry.step}`,
    input_parameters: used,
    output_parameters: entry.output_parameters,
    user_defined_metrics: entry.user_defined_metrics,
    cache: { status: 'hit', key: entry.key, source_run: src },
  };
  return { attempt, catalog: restored };
}
