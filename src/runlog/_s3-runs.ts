/** What the two S3 run-log stores share: where a run's objects live, and which runs a bucket holds. */
import type { Bucket } from '../s3/bucket.js';
import { checkRunId, newestFirst } from './_records.js';

/** `PREFIX/RUN_ID/` */
export function runPrefix(bucket: Bucket, runId: string): string {
  checkRunId(runId);
  return bucket.key(`${runId}/`);
}

/**
 * Run ids under the bucket's prefix that hold `marker` (the object every run of the store has),
 * newest activity first: one flat listing (1,000 keys a request), each run's time the latest
 * LastModified of its objects. Dot names (the step cache's `.cache/`) are not runs.
 */
export async function listRuns(bucket: Bucket, marker: string): Promise<string[]> {
  const latest = new Map<string, number>();
  const marked = new Set<string>();
  for await (const o of bucket.list(bucket.prefix)) {
    const rest = o.key.slice(bucket.prefix.length);
    const slash = rest.indexOf('/');
    if (slash <= 0 || rest.startsWith('.')) continue;
    const runId = rest.slice(0, slash);
    if (rest.slice(slash + 1) === marker) marked.add(runId);
    latest.set(runId, Math.max(latest.get(runId) ?? 0, o.lastModified));
  }
  for (const runId of latest.keys()) if (!marked.has(runId)) latest.delete(runId);
  return newestFirst(latest);
}

/**
 * Every object under `PREFIX/RUN_ID/` (records, journal, `.leases/`), for `deleteRun`. The marker
 * goes last, so that a deletion cut short leaves a run that `runs()` still lists and a second
 * `deleteRun` finishes, never objects nothing lists.
 */
export async function deleteRunObjects(bucket: Bucket, runId: string, marker: string): Promise<void> {
  const prefix = runPrefix(bucket, runId);
  await bucket.delete((await bucket.listAll(prefix)).map((o) => o.key).filter((key) => key !== prefix + marker));
  await bucket.delete([prefix + marker]);
}
