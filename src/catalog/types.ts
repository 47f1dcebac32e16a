/** The catalog: files moved between a step's working directory and the run's store (SPEC §4). */
import type { DataCatalog } from '../runlog/types.js';

export interface CatalogStore {
  readonly type: string;
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
}
