/**
 * Run-log data model (SPEC §5; field names follow runnable's datastore.py) and the store
 * interface every run-log store implements.
 */
import type { ParameterKind } from '../graph/model.js';

export type Status = 'CREATED' | 'PROCESSING' | 'SUCCESS' | 'FAIL';

export interface Parameter {
  kind: ParameterKind;
  /** json/metric: the value; object: the catalog-relative path of the serialised value */
  value: unknown;
}
export type Parameters = Record<string, Parameter>;

export interface DataCatalog {
  name: string;
  data_hash: string;
  catalog_relative_path: string;
  catalog_handler_location: string;
  stage: 'get' | 'put';
}

export interface CodeIdentity {
  code_identifier: string;
  code_identifier_type: string;
  code_identifier_dependable: boolean;
  code_identifier_url: string;
  code_identifier_message: string;
}

export interface StepAttempt {
  attempt_number: number;
  start_time: string;
  end_time: string;
  status: Status;
  message: string;
  input_parameters: Parameters;
  output_parameters: Parameters;
  user_defined_metrics: Parameters;
  /** only for steps with caching on (`cache: true`, or config `step-cache: {type: all}`): hit or miss, and why */
  cache?: AttemptCache;
}

/** Whether an attempt's result came from the step cache (src/cache/); the key identifies its inputs. */
export interface AttemptCache {
  status: 'hit' | 'miss';
  /** sha256 of the step's code identity, input parameters and `get` file hashes; '' when it could not be computed */
  key: string;
  /** a miss: which input changed since the step's latest cached run, 'no earlier run', 'disabled by --no-cache', ... */
  reason?: string;
  /** a hit: the run whose successful attempt was reused */
  source_run?: string;
}

export interface StepLog {
  name: string;
  internal_name: string;
  status: Status;
  step_type: string;
  message: string;
  mock: boolean;
  code_identities: CodeIdentity[];
  attempts: StepAttempt[];
  branches: Record<string, BranchLog>;
  data_catalog: DataCatalog[];
}

export interface BranchLog {
  internal_name: string;
  status: Status;
  steps: Record<string, StepLog>;
  /** the parameters set inside this branch (map item / loop index, returned values); a step sees them over its parent's */
  parameters: Parameters;
}

export interface JobLog {
  status: Status;
  message: string;
  mock: boolean;
  code_identities: CodeIdentity[];
  attempts: StepAttempt[];
  data_catalog: DataCatalog[];
}

export interface RunLog {
  run_id: string;
  dag_hash: string;
  tag: string;
  status: Status;
  steps: Record<string, StepLog>;
  parameters: Parameters;
  run_config: Record<string, unknown>;
  job?: JobLog;
}

/**
 * Stores persist a run log as records, so that writing one step costs O(1) whatever the size
 * of the run. Each record is owned by one writer at a time:
 * - `run`: the RunLog header (everything but `steps` and `parameters`)
 * - `params`: the run's top-level parameters
 * - `step`: a StepLog without `branches`, keyed by its resolved internal name
 * - `branch`: a BranchLog without `steps`, keyed by its resolved internal name
 * - `job`: the JobLog of a job run
 * `parent` is the internal name of the branch (for a step) or step (for a branch) that holds it,
 * '' for the top level; `seq` orders siblings by creation.
 */
export type RunHeader = Omit<RunLog, 'steps' | 'parameters' | 'job'>;
export type StepRecordData = Omit<StepLog, 'branches'>;
export type BranchRecordData = Omit<BranchLog, 'steps'>;

export type RunRecord =
  | { kind: 'run'; key: ''; parent: ''; seq: number; data: RunHeader }
  | { kind: 'params'; key: ''; parent: ''; seq: number; data: Parameters }
  | { kind: 'job'; key: ''; parent: ''; seq: number; data: JobLog }
  | { kind: 'step'; key: string; parent: string; seq: number; data: StepRecordData }
  | { kind: 'branch'; key: string; parent: string; seq: number; data: BranchRecordData };
export type RecordKind = RunRecord['kind'];
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type NewRecord = DistributiveOmit<RunRecord, 'seq'>;

/**
 * Who holds a lease: a process, checkable from elsewhere (src/util/process.ts), and since when.
 */
export interface LeaseHolder {
  pid: number;
  host: string;
  /** the process's start time as the OS gives it ('' where unknown): tells a reused pid from the holder */
  process_start: string;
  /** when the lease was taken, ISO-8601 */
  since: string;
}

/** A held lease; `release` gives it up (idempotent, never throws: a release that cannot be written counts once the holder is gone). A holder that dies without releasing loses it to the next taker. */
export interface Lease {
  readonly holder: LeaseHolder;
  release(): Promise<void>;
  /**
   * Stops renewing the lease without writing its entry again, for a holder about to delete the
   * run (`deleteRun`), whose lease entries go with it: a release or renewal after the deletion
   * would write an entry back. The entry stays held while this process lives (seen from another
   * host, until it lapses); `release` afterwards does nothing.
   */
  abandon(): Promise<void>;
}

export interface RunLogStore {
  /** the config `type` this store was made from */
  readonly type: string;
  /** true when several processes may write records of one run at once without losing any */
  readonly concurrentWriters: boolean;
  /**
   * true when another process (a step process, a container, a Slurm job) that builds this store
   * from the same config sees the same runs; false for a store in this process's memory
   */
  readonly sharedAcrossProcesses: boolean;
  /**
   * Capability: the folder on this machine's disk that holds the store's files, for what must
   * keep files beside them (the file-backed step cache) or mount them (containers). Absent for
   * stores kept in memory or elsewhere (object storage).
   */
  readonly logFolder?: string;
  /**
   * Capability: true when every process reaches the store over the network (S3), so nothing needs
   * mounting or a shared disk (local-container, Slurm nodes, Argo pods); absent: a local folder.
   */
  readonly remote?: boolean;
  /** Capability: checks, before any step runs, that the store can be used (bucket, credentials, endpoint); throws a RunnableError */
  checkAccess?(): Promise<void>;
  /** human-readable location of a run's log, for messages */
  location(runId: string): string;
  /** creates the run; throws RunnableError(E_RUN_ID) if it exists */
  create(header: RunHeader): Promise<void>;
  exists(runId: string): Promise<boolean>;
  /** insert or replace one record; the store assigns `seq` on first insert and keeps it after */
  put(runId: string, record: NewRecord): Promise<void>;
  get<K extends RecordKind>(runId: string, kind: K, key: string): Promise<Extract<RunRecord, { kind: K }> | undefined>;
  /** every record of the run; throws RunnableError(E_RUN_ID) for an unknown run */
  list(runId: string): Promise<RunRecord[]>;
  /**
   * Optional capability: the run as one RunLog document when the store holds it so already
   * (file-system: a materialised file with nothing journalled since), without taking it apart
   * into records and nesting them again; undefined when it does not. Readers use `readRunLog`
   * (assemble.ts), which falls back to `assemble(list(...))`.
   */
  readRunLog?(runId: string): Promise<RunLog | undefined>;
  /** run ids in the store, most recent first */
  runs(): Promise<string[]>;
  /** make everything written so far durable and readable as a whole (file-system materialises its single file) */
  flush(runId: string): Promise<void>;
  /**
   * Optional capability: one live holder at a time. Without `step`, the run's lease, taken by
   * the process that drives the run (`execute`, `retry`): it decides which steps run. With
   * `step` (a resolved internal name), that step's lease, taken by a process that runs one step
   * of a run driven by another (`execute-single-node`, `fan`): a step never runs in two
   * processes at once, and a driver's own step processes are not refused because it holds the
   * run's lease. Taken atomically: of two takers exactly one gets it; a lease that was released,
   * whose holder on this host is dead (see `isAlive` in src/util/process.ts), or whose holder on
   * another host stopped renewing it (`_lease.ts`) is taken over; otherwise throws RunnableError
   * `E_RUN_BUSY` "run X is being driven by pid N since T". A step's lease held on another host
   * is waited for until it lapses. A store that cannot take leases leaves this out (`retry` then
   * falls back to the runner recorded in the run header).
   * File stores: a numbered lease file per taking, created with O_EXCL (`_fs-lease.ts`); S3
   * stores: a numbered object per taking, created with a conditional PUT (`_s3-lease.ts`);
   * buffered: in memory.
   */
  acquireLease?(runId: string, holder: LeaseHolder, step?: string): Promise<Lease>;
  /**
   * Optional capability: what the last read of the run had to skip because it was damaged (a
   * journal line or record file that does not parse), one sentence each; [] when nothing was.
   * A torn last journal line (a writer killed mid-line) is normal, not damage.
   */
  damage?(runId: string): Promise<string[]>;
  /**
   * Optional capability: removes every trace of the run from the store: its records and its
   * lease entries (`runnable runs delete|prune`); throws RunnableError(E_RUN_ID) for an unknown
   * run. The caller holds the run's lease and abandons it first (`Lease.abandon`), so no driver
   * starts meanwhile and nothing writes an entry back. Other runs and the step cache stay (a
   * cache entry whose run is gone is a miss). file-system: `<id>.json`, `<id>.journal` and their
   * temp files; chunked-fs: the run's folder; both also `<log_folder>/.leases/<id>/`; s3 and
   * chunked-s3: every object under `PREFIX/RUN_ID/` (`.leases/` included); buffered: memory.
   */
  deleteRun?(runId: string): Promise<void>;
}
