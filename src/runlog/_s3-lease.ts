/**
 * The S3 stores' lease entries (`_lease.ts`): objects `RUN_ID/.leases/<base>.<n>` in the bucket
 * (dot names: no listing of the run's records or journal sees them), created with a conditional
 * PUT. A server that ignores the condition (s3rver, older MinIO) would let a second taker
 * overwrite the first; reading the entry back after creating it catches a taker that lost that
 * way when the other write landed first, but only servers with conditional writes (S3, MinIO,
 * Ceph RGW, R2) make the lease exclusive.
 */
import type { Bucket } from '../s3/bucket.js';
import { acquireNumberedLease, type LeaseMedium, type LeaseTiming } from './_lease.js';
import { runPrefix } from './_s3-runs.js';
import type { Lease, LeaseHolder } from './types.js';

export function acquireS3Lease(bucket: Bucket, runId: string, holder: LeaseHolder, step: string | undefined, timing?: LeaseTiming): Promise<Lease> {
  return acquireNumberedLease(s3Leases(bucket, `${runPrefix(bucket, runId)}.leases/`), runId, holder, step, timing);
}

function s3Leases(bucket: Bucket, prefix: string): LeaseMedium {
  const key = (base: string, n: number) => `${prefix}${base}.${n}`;
  return {
    async names(base) {
      return (await bucket.listAll(`${prefix}${base}.`)).map((o) => o.key.slice(prefix.length));
    },
    async read(base, n) {
      return (await bucket.get(key(base, n)))?.body.toString('utf8');
    },
    async create(base, n, text) {
      if ((await bucket.putIfAbsent(key(base, n), text)) === undefined) return false;
      return (await bucket.get(key(base, n)))?.body.toString('utf8') === text;
    },
    async replace(base, n, text) {
      await bucket.put(key(base, n), text);
    },
  };
}
