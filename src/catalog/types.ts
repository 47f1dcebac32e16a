/** The catalog: files moved between a step's working directory and the run's store (SPEC §4). */
import type { DataCatalog } from '../runlog/types.js';

export interface CatalogStore {
  readonly type: string;
  /** Capability: true when every process reaches the catalog over the network (S3): nothing to mount or share */
  readonly remote?: boolean;
  /** Capability: checks, before any step runs, that the catalog can be used (bucket, credentials, endpoint); throws a RunnableError */
  checkAccess?(): Promise<void>;
  /** where a run's files live, for messages and `catalog_handler_location` */
  location(runId: string): string;
  /**
   * Copy files matching the globs from the run's catalog into `cwd`.
   * Returns one entry per file, stage `get`. A glob matching nothing is not an error.
   */
  get(runId: string, globs: string[], cwd: string): Promise<DataCatalog[]>;
  /**
   * Copy files matching the globs from `cwd` into the run's catalog (or only hash them when
   * `storeCopy` is false). A glob matching nothing throws. Returns entries with stage `put`.
   */
  put(runId: string, globs: string[], cwd: string, storeCopy: boolean): Promise<DataCatalog[]>;
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
}
