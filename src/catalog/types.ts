/** The catalog: files moved between a step's working directory and the run's store (SPEC §4). */
import type { DataCatalog } from '../runlog/types.js';

/** A file a `put` is about to store (PutOptions.admit). */
export interface PutFile {
  /** catalog-relative path */
  name: string;
  sha256: string;
  /** the put glob that selected it, as written; absent for a file from elsewhere (a cached result being restored) */
  pattern?: string;
}

/** Options of a `put`. */
export interface PutOptions {
  /**
   * Called for each selected file once its sha256 is known, before the file is stored (or, with
   * `storeCopy` false, recorded); a throw fails the put and that file is neither stored nor
   * recorded (files already admitted may be). The step's put claims (nodes/_put_claims.ts).
   */
  admit?(file: PutFile): Promise<void>;
}

/**
 * Small records the catalog keeps for a run beside its files, never one of them (`list`, `get`,
 * `hashes` do not see them; `deleteRun` removes them): which branch put a name (the step's put
 * claims, nodes/_put_claims.ts). Keys are short safe names (`[A-Za-z0-9_-]`, up to 128).
 */
export interface ClaimRecords {
  /**
   * Creates the record `key` holding `text` unless the run has one, exclusively across processes
   * and machines: undefined when this call created it, else the text the record holds.
   */
  create(runId: string, key: string, text: string): Promise<string | undefined>;
  /** Replaces the record `key`, whoever created it; readers see the old text or the new. */
  replace(runId: string, key: string, text: string): Promise<void>;
}

export interface CatalogStore {
  readonly type: string;
  /** Capability: true when every process reaches the catalog over the network (S3): nothing to mount or share */
  readonly remote?: boolean;
  /** Capability: checks, before any step runs, that the catalog can be used (bucket, credentials, endpoint); throws a RunnableError */
  checkAccess?(): Promise<void>;
  /**
   * Capability: true for a catalog that keeps no files (`do-nothing`): a step's `get` pattern
   * that matches nothing is then not a failure (nodes/task.ts)
   */
  readonly keepsNoFiles?: boolean;
  /** where a run's files live, for messages and `catalog_handler_location` */
  location(runId: string): string;
  /**
   * Copy files matching the globs from the run's catalog into `cwd`.
   * Returns one entry per file, stage `get`. A glob matching nothing is not an error here (a
   * step's `get` makes it one: nodes/task.ts).
   */
  get(runId: string, globs: string[], cwd: string): Promise<DataCatalog[]>;
  /**
   * Copy files matching the globs from `cwd` into the run's catalog (or only hash them when
   * `storeCopy` is false). A glob matching nothing throws. Returns entries with stage `put`.
   * `options.admit` vets each file before it is stored (a catalog that keeps no files calls nothing).
   */
  put(runId: string, globs: string[], cwd: string, storeCopy: boolean, options?: PutOptions): Promise<DataCatalog[]>;
  /** write bytes at a catalog-relative path (task logs, serialised objects) */
  writeFile(runId: string, relPath: string, data: Uint8Array | string): Promise<void>;
  /** read bytes from a catalog-relative path; throws if absent */
  readFile(runId: string, relPath: string): Promise<Buffer>;
  /** files of a run, catalog-relative, sorted */
  list(runId: string): Promise<string[]>;
  /**
   * Capability: sha256 of each file of the run's catalog that the `get` globs match, keyed by
   * catalog-relative path, without copying them anywhere (file-system: read in place; s3: the
   * hash stored with each object). Absent: callers `get` into a temporary folder and hash that.
   */
  hashes?(runId: string, globs: string[]): Promise<Record<string, string>>;
  /**
   * Capability: copy one catalog-relative file from one run's catalog into another run's,
   * inside the store (file-system: a file copy; s3: CopyObject). Absent: readFile + writeFile.
   */
  copyBetweenRuns?(fromRunId: string, toRunId: string, relPath: string): Promise<void>;
  /**
   * Capability: removes every file of the run's catalog (`runnable runs delete|prune`) and
   * returns how many there were; 0 for a run with none (not an error). file-system: the folder
   * `<catalog_location>/<run_id>/`; s3: every object under `PREFIX/RUN_ID/`; do-nothing: nothing
   * to remove. Absent: the files stay, and the caller says so.
   */
  deleteRun?(runId: string): Promise<number>;
  /**
   * Capability: the run's claim records (file-system: `<run folder>/.claims/<key>`, created with
   * a hard link so a reader sees a whole record; s3: `PREFIX/RUN_ID/.claims/<key>`, created with
   * a conditional PUT). Absent: `claimRecords` in capabilities.ts falls back on readFile and
   * writeFile, which is not exclusive.
   */
  claims?: ClaimRecords;
}
