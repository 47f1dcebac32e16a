/**
 * `s3` (alias `minio`): one object per run, `s3://BUCKET/PREFIX/RUN_ID/runlog.json`, holding the
 * RunLog of SPEC §5, as the `file-system` store's single file does, plus a journal of small
 * records beside it, `RUN_ID/journal/<n>.json`, so that a step costs one small PUT, never a
 * rewrite of the growing run:
 * - each `put` writes one journal object (the record, as a journal line) and updates the
 *   in-memory copy of the run's records (the `RecordSet` the file-system store uses too);
 * - `runlog.json` is materialised from that copy on `flush` (and from `put` at most every 5 s,
 *   longer when materialising is slow: at least 10× its last duration); its metadata names the
 *   last journal object it includes, and the journal objects it includes are then deleted. A PUT
 *   replaces an object atomically, so a reader sees the old run log or the new one, never a part;
 * - a reader takes `runlog.json` and replays the journal objects after the one it names.
 *
 * One writer at a time (`concurrentWriters: false`), but writers may take turns from other
 * processes and machines (the `emulate` executor runs each step in its own): before every read
 * and write a store lists the run's objects after the last journal object it knows (one LIST
 * request), which shows both newer journal objects and whether `runlog.json` was rewritten
 * since (its ETag), and catches up.
 *
 * @example
 * run-log-store:
 *   type: s3
 *   config:
 *     bucket: team-bucket/runnable        # bucket, optional prefix
 *     endpoint_url: http://localhost:9000 # absent: AWS
 *     aws_access_key_id: ${AWS_ACCESS_KEY_ID}
 *     aws_secret_access_key: ${AWS_SECRET_ACCESS_KEY}
 */
import { RunnableError } from '../errors.js';
import { mapLimit } from '../util/map-limit.js';
import type { Bucket } from '../s3/bucket.js';
import type { LeaseTiming } from './_lease.js';
import { RecordSet } from './_record-set.js';
import { acquireS3Lease } from './_s3-lease.js';
import { initialRecords, runExistsError, timeSeq, unknownRun } from './_records.js';
import { deleteRunObjects, listRuns, runPrefix } from './_s3-runs.js';
import type { Lease, LeaseHolder, NewRecord, RecordKind, RunHeader, RunLog, RunLogStore, RunRecord } from './types.js';

const RUN_LOG = 'runlog.json';
const JOURNAL = 'journal/';
/** metadata of `runlog.json`: the last journal object it includes */
const UPTO = 'journal-upto';
/** journal object names: a number, zero-padded so that key order is number order */
const NUMBER_DIGITS = 20;
const READS_AT_ONCE = 16;

export interface S3StoreOptions {
  bucket: Bucket;
  /** the config type it was made from; default `s3` */
  type?: string;
  /** least time between two materialisations triggered by `put`, in ms; default 5000 */
  materialiseEveryMs?: number;
  /** how leases are renewed and lapse (`_lease.ts`); default LEASE_TIMING */
  leaseTiming?: LeaseTiming;
}

interface RunState {
  set: RecordSet;
  /** the newest journal object this store knows of (full key), '' for none */
  lastJournal: string;
  /** journal objects not yet folded into `runlog.json` by this store */
  pending: string[];
  /** `runlog.json`'s ETag as this store last saw it */
  etag: string;
  materialiseAt: number;
}

export class S3RunLogStore implements RunLogStore {
  /** `s3`, or the alias it was configured as (`minio`) */
  readonly type: string;
  readonly concurrentWriters = false;
  readonly sharedAcrossProcesses = true;
  readonly remote = true;
  readonly bucket: Bucket;
  private readonly every: number;
  private readonly leaseTiming?: LeaseTiming;
  private readonly cache = new Map<string, RunState>();
  /** per run, the operation in progress: this process's operations on a run take turns (branches under `local` write at once) */
  private readonly turns = new Map<string, Promise<unknown>>();

  constructor(options: S3StoreOptions) {
    this.bucket = options.bucket;
    this.type = options.type ?? 's3';
    this.every = options.materialiseEveryMs ?? 5000;
    this.leaseTiming = options.leaseTiming;
  }

  location(runId: string): string {
    return `${this.bucket.url}/${runId}/${RUN_LOG}`;
  }

  checkAccess(): Promise<void> {
    return this.bucket.verify('run-log-store.config.bucket');
  }

  create(header: RunHeader): Promise<void> {
    return this.inTurn(header.run_id, () => this.createNow(header));
  }

  private async createNow(header: RunHeader): Promise<void> {
    const runId = header.run_id;
    if (this.cache.has(runId) || (await this.exists(runId))) throw runExistsError(runId, this.bucket.url);
    const state: RunState = { set: new RecordSet(), lastJournal: '', pending: [], etag: '', materialiseAt: 0 };
    for (const record of initialRecords(header)) state.set.add(record);
    // the SPEC's object exists from the start; created only if absent, so of two creators racing one wins
    const etag = await this.bucket.putIfAbsent(this.key(runId, RUN_LOG), state.set.materialise());
    if (etag === undefined) throw runExistsError(runId, this.bucket.url);
    state.etag = etag;
    state.materialiseAt = Date.now() + this.every;
    this.cache.set(runId, state);
  }

  async exists(runId: string): Promise<boolean> {
    return this.cache.has(runId) || !!(await this.bucket.head(this.key(runId, RUN_LOG)));
  }

  put(runId: string, record: NewRecord): Promise<void> {
    return this.inTurn(runId, () => this.putNow(runId, record));
  }

  private async putNow(runId: string, record: NewRecord): Promise<void> {
    const state = await this.current(runId);
    const { line, add } = state.set.prepare(record);
    const key = this.nextJournalKey(runId, state);
    await this.bucket.put(key, line + '\n');
    add();
    state.lastJournal = key;
    state.pending.push(key);
    if (Date.now() >= state.materialiseAt) await this.materialise(runId, state);
  }

  get<K extends RecordKind>(runId: string, kind: K, key: string): Promise<Extract<RunRecord, { kind: K }> | undefined> {
    return this.inTurn(runId, async () => {
      const state = await this.current(runId).catch((e: unknown) => (isUnknownRun(e) ? undefined : Promise.reject(e)));
      return state?.set.get(kind, key);
    });
  }

  list(runId: string): Promise<RunRecord[]> {
    return this.inTurn(runId, async () => (await this.current(runId)).set.list());
  }

  /** journal objects the run's last load or catch-up skipped because they hold no record */
  damage(runId: string): Promise<string[]> {
    return this.inTurn(runId, async () => [...(await this.current(runId)).set.damaged]);
  }

  runs(): Promise<string[]> {
    return listRuns(this.bucket, RUN_LOG);
  }

  /** the run's (or a step's) one-live-holder lease: numbered objects under `RUN_ID/.leases/` (`_s3-lease.ts`) */
  async acquireLease(runId: string, holder: LeaseHolder, step?: string): Promise<Lease> {
    if (!(await this.exists(runId))) throw unknownRun(runId, this.bucket.url);
    return acquireS3Lease(this.bucket, runId, holder, step, this.leaseTiming);
  }

  /** Capability: every object of the run (`runlog.json` last: `_s3-runs.ts`), after this process's operations on it */
  deleteRun(runId: string): Promise<void> {
    return this.inTurn(runId, async () => {
      if (!(await this.exists(runId))) throw unknownRun(runId, this.bucket.url);
      this.cache.delete(runId);
      await deleteRunObjects(this.bucket, runId, RUN_LOG);
    });
  }

  flush(runId: string): Promise<void> {
    return this.inTurn(runId, async () => {
      const state = await this.current(runId);
      if (state.pending.length || !state.etag) await this.materialise(runId, state);
    });
  }

  /** runs `op` after this process's earlier operations on the run have settled */
  private inTurn<T>(runId: string, op: () => Promise<T>): Promise<T> {
    const previous = this.turns.get(runId) ?? Promise.resolve();
    const next = previous.then(op, op);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.turns.set(runId, settled);
    void settled.then(() => {
      if (this.turns.get(runId) === settled) this.turns.delete(runId);
    });
    return next;
  }

  private key(runId: string, name: string): string {
    return runPrefix(this.bucket, runId) + name;
  }

  /** numbered above every journal object seen, and by time, so that writers taking turns keep order */
  private nextJournalKey(runId: string, state: RunState): string {
    const last = state.lastJournal ? Number(state.lastJournal.slice(-NUMBER_DIGITS - 5, -5)) : 0;
    const n = Math.max(timeSeq(), last + 1);
    return this.key(runId, `${JOURNAL}${String(n).padStart(NUMBER_DIGITS, '0')}.json`);
  }

  /** the run's records, caught up with what other writers did since; throws for an unknown run */
  private async current(runId: string): Promise<RunState> {
    const cached = this.cache.get(runId);
    const state = cached ? await this.catchUp(runId, cached) : await this.load(runId);
    if (!state) throw unknownRun(runId, this.bucket.url);
    this.cache.set(runId, state);
    return state;
  }

  /** one LIST after the newest journal object known: newer ones are replayed; a rewritten run log means a reload */
  private async catchUp(runId: string, state: RunState): Promise<RunState | undefined> {
    const { journal, etag } = await this.listAfter(runId, state.lastJournal);
    if (etag !== state.etag) return this.load(runId, state.materialiseAt);
    if (!journal.length) return state;
    const bodies = await this.readJournal(journal);
    if (!bodies) return this.load(runId, state.materialiseAt); // folded in and deleted meanwhile
    replayJournal(state.set, journal, bodies);
    state.lastJournal = journal[journal.length - 1]!;
    state.pending.push(...journal);
    return state;
  }

  /** `runlog.json`, then the journal objects after the one it names; read again if another writer materialised meanwhile */
  private async load(runId: string, materialiseAt = Date.now() + this.every): Promise<RunState | undefined> {
    for (let attempt = 0; ; attempt++) {
      const object = await this.bucket.get(this.key(runId, RUN_LOG));
      const upto = object?.metadata[UPTO] ?? '';
      const { journal, etag } = await this.listAfter(runId, upto);
      if (!object && !journal.length) return undefined;
      const bodies = etag === (object?.etag ?? '') ? await this.readJournal(journal) : undefined;
      if (!bodies) {
        if (attempt < 5) continue;
        throw new RunnableError('E_STORE', `run log of '${runId}' in ${this.bucket.url} keeps changing while it is read (another writer is materialising it)`);
      }
      const set = RecordSet.fromRunLog(object ? parseRunLog(object.body, this.location(runId)) : undefined);
      replayJournal(set, journal, bodies);
      return { set, lastJournal: journal[journal.length - 1] ?? upto, pending: journal, etag, materialiseAt };
    }
  }

  /** journal objects after `after` (key order) and `runlog.json`'s ETag ('' when there is none), in one listing */
  private async listAfter(runId: string, after: string): Promise<{ journal: string[]; etag: string }> {
    const journal: string[] = [];
    let etag = '';
    const runLog = this.key(runId, RUN_LOG);
    for await (const o of this.bucket.list(runPrefix(this.bucket, runId), after || this.key(runId, JOURNAL))) {
      if (o.key === runLog) etag = o.etag;
      else if (o.key.startsWith(this.key(runId, JOURNAL))) journal.push(o.key);
    }
    return { journal, etag };
  }

  /** the texts of these journal objects, in order; undefined if one is gone (another writer folded it in) */
  private async readJournal(keys: string[]): Promise<string[] | undefined> {
    const bodies = await mapLimit(keys, READS_AT_ONCE, (key) => this.bucket.get(key));
    if (bodies.some((b) => !b)) return undefined;
    return bodies.map((b) => b!.body.toString('utf8'));
  }

  /** writes `runlog.json` from the in-memory copy, then deletes the journal objects it folded in */
  private async materialise(runId: string, state: RunState): Promise<void> {
    const started = Date.now();
    const upto = state.lastJournal;
    const folded = state.pending;
    state.etag = await this.bucket.put(this.key(runId, RUN_LOG), state.set.materialise(), upto ? { [UPTO]: upto } : undefined);
    state.pending = [];
    if (folded.length) await this.bucket.delete(folded);
    state.materialiseAt = Date.now() + Math.max(this.every, 10 * (Date.now() - started));
  }
}

function parseRunLog(body: Buffer, where: string): RunLog {
  try {
    return JSON.parse(body.toString('utf8')) as RunLog;
  } catch (e) {
    throw new RunnableError('E_FILE', `not a readable run log: ${(e as Error).message}`, { file: where });
  }
}

/** journal objects (keys and texts, in order) replayed over the run's records */
function replayJournal(set: RecordSet, keys: string[], texts: string[]): void {
  texts.forEach((text, i) => set.replayText(text, keys[i]!));
}

const isUnknownRun = (e: unknown): boolean => e instanceof RunnableError && e.code === 'E_RUN_ID';
