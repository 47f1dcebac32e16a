/**
 * `chunked-s3` (alias `chunked-minio`): one object per record under `s3://BUCKET/PREFIX/RUN_ID/`
 * (`run.json`, `params.json`, `step-<internal name>.json`, `branch-<internal name>.json`: the
 * names of `chunked-fs`, `_names.ts`). Each record has one writer and each write replaces one
 * whole object (a PUT is atomic), so processes and pods writing different records of one run at
 * once never lose each other's writes (`concurrentWriters: true`). Reading the run lists its
 * objects and reads them all; it assembles to the same RunLog the other stores give.
 *
 * `seq` orders records created by different processes, so it is time-based (as in `chunked-fs`);
 * a record keeps its seq when it is rewritten.
 *
 * @example
 * run-log-store:
 *   type: chunked-s3
 *   config:
 *     bucket: team-bucket/runnable
 *     endpoint_url: http://localhost:9000
 */
import type { Bucket } from '../s3/bucket.js';
import type { LeaseTiming } from './_lease.js';
import { recordFileName } from './_names.js';
import { acquireS3Lease } from './_s3-lease.js';
import { initialRecords, parseRecord, readRecords, recordText, runExistsError, timeSeq, unknownRun, type ReadRecords } from './_records.js';
import { deleteRunObjects, listRuns, runPrefix } from './_s3-runs.js';
import type { Lease, LeaseHolder, NewRecord, RecordKind, RunHeader, RunLogStore, RunRecord } from './types.js';

const HEADER = 'run.json';
const READS_AT_ONCE = 16;

export class ChunkedS3RunLogStore implements RunLogStore {
  /** `chunked-s3`, or the alias it was configured as (`chunked-minio`) */
  readonly type: string;
  readonly concurrentWriters = true;
  readonly sharedAcrossProcesses = true;
  readonly remote = true;
  readonly bucket: Bucket;
  /** per run, the seq of each record object this process has written or read (a seq never changes) */
  private readonly seqs = new Map<string, Map<string, number>>();

  private readonly leaseTiming?: LeaseTiming;

  /** `leaseTiming`: how leases are renewed and lapse (`_lease.ts`); default LEASE_TIMING */
  constructor(options: { bucket: Bucket; type?: string; leaseTiming?: LeaseTiming }) {
    this.bucket = options.bucket;
    this.type = options.type ?? 'chunked-s3';
    this.leaseTiming = options.leaseTiming;
  }

  location(runId: string): string {
    return `${this.bucket.url}/${runId}/`;
  }

  checkAccess(): Promise<void> {
    return this.bucket.verify('run-log-store.config.bucket');
  }

  async create(header: RunHeader): Promise<void> {
    const runId = header.run_id;
    if (await this.exists(runId)) throw runExistsError(runId, this.bucket.url);
    // the header created only if absent, so of two creators racing one wins
    const [head, ...rest] = initialRecords(header);
    const seq = timeSeq();
    if ((await this.bucket.putIfAbsent(this.key(runId, HEADER), recordText({ ...head!, seq } as RunRecord) + '\n')) === undefined) {
      throw runExistsError(runId, this.bucket.url);
    }
    this.seqs.set(runId, new Map([[HEADER, seq]]));
    for (const record of rest) await this.put(runId, record);
  }

  async exists(runId: string): Promise<boolean> {
    return this.seqs.has(runId) || !!(await this.bucket.head(this.key(runId, HEADER)));
  }

  async put(runId: string, record: NewRecord): Promise<void> {
    const name = recordFileName(record.kind, record.key);
    let known = this.seqs.get(runId);
    if (!known) {
      // once per run and process: a record of a run nobody created is an error, not a stray object
      if (!(await this.bucket.head(this.key(runId, HEADER)))) throw unknownRun(runId, this.bucket.url);
      this.seqs.set(runId, (known = new Map()));
    }
    let seq = known.get(name);
    if (seq === undefined) seq = (await this.read(this.key(runId, name)))?.seq ?? timeSeq();
    await this.bucket.put(this.key(runId, name), recordText({ ...record, seq } as RunRecord) + '\n');
    known.set(name, seq);
  }

  async get<K extends RecordKind>(runId: string, kind: K, key: string): Promise<Extract<RunRecord, { kind: K }> | undefined> {
    const name = recordFileName(kind, key);
    const record = await this.read(this.key(runId, name));
    if (!record || record.kind !== kind || record.key !== key) return undefined;
    this.seqs.get(runId)?.set(name, record.seq);
    return record as Extract<RunRecord, { kind: K }>;
  }

  async list(runId: string): Promise<RunRecord[]> {
    return (await this.readRun(runId)).records;
  }

  /** record objects of the run that do not hold a record */
  async damage(runId: string): Promise<string[]> {
    return (await this.readRun(runId)).damaged;
  }

  private async readRun(runId: string): Promise<ReadRecords> {
    const prefix = runPrefix(this.bucket, runId);
    const keys = (await this.bucket.listAll(prefix)).map((o) => o.key).filter((k) => k.endsWith('.json') && !k.slice(prefix.length).includes('/'));
    if (!keys.includes(prefix + HEADER)) throw unknownRun(runId, this.bucket.url);
    return readRecords(keys, READS_AT_ONCE, async (key) => (await this.bucket.get(key))?.body.toString('utf8'));
  }

  runs(): Promise<string[]> {
    return listRuns(this.bucket, HEADER);
  }

  /** the run's (or a step's) one-live-holder lease: numbered objects under `RUN_ID/.leases/` (`_s3-lease.ts`) */
  async acquireLease(runId: string, holder: LeaseHolder, step?: string): Promise<Lease> {
    if (!(await this.exists(runId))) throw unknownRun(runId, this.bucket.url);
    return acquireS3Lease(this.bucket, runId, holder, step, this.leaseTiming);
  }

  /** Capability: every object of the run (`run.json` last: `_s3-runs.ts`) */
  async deleteRun(runId: string): Promise<void> {
    if (!(await this.exists(runId))) throw unknownRun(runId, this.bucket.url);
    this.seqs.delete(runId);
    await deleteRunObjects(this.bucket, runId, HEADER);
  }

  async flush(runId: string): Promise<void> {
    // every put already replaced one whole object
    if (!(await this.exists(runId))) throw unknownRun(runId, this.bucket.url);
  }

  private key(runId: string, name: string): string {
    return runPrefix(this.bucket, runId) + name;
  }

  /** the record in an object, or undefined if there is none (or it is not a record) */
  private async read(key: string): Promise<RunRecord | undefined> {
    const object = await this.bucket.get(key);
    return object && parseRecord(object.body.toString('utf8'));
  }
}
