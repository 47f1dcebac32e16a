/**
 * The `do-nothing` catalog (runnable's DoNothingCatalog): for runs that move no data, or where
 * the working directory is already shared. Nothing is copied, hashed or recorded.
 */
import { RunnableError } from '../errors.js';
import type { DataCatalog } from '../runlog/types.js';
import type { CatalogStore, PutOptions } from './types.js';

export class DoNothingCatalog implements CatalogStore {
  readonly type = 'do-nothing';
  readonly keepsNoFiles = true;

  location(_runId: string): string {
    return '';
  }

  async get(_runId: string, _globs: string[], _cwd: string): Promise<DataCatalog[]> {
    return [];
  }

  /** Even a glob that matches nothing passes: this catalog does not look at files at all (nor calls `admit`: nothing is kept to overwrite). */
  async put(_runId: string, _globs: string[], _cwd: string, _storeCopy: boolean, _options?: PutOptions): Promise<DataCatalog[]> {
    return [];
  }

  async writeFile(_runId: string, _relPath: string, _data: Uint8Array | string): Promise<void> {}

  async readFile(runId: string, relPath: string): Promise<Buffer> {
    throw new RunnableError(
      'E_CATALOG',
      `catalog: cannot read '${relPath}' of run '${runId}': the do-nothing catalog keeps no files ` +
        `(object parameters and task logs need a catalog that stores them, e.g. type: file-system)`,
    );
  }

  async list(_runId: string): Promise<string[]> {
    return [];
  }

  /** Capability: a run's files removed: it has none. */
  async deleteRun(_runId: string): Promise<number> {
    return 0;
  }

  /** Capability: what a `get` would fetch, hashed: nothing, without making a temporary folder to find out. */
  async hashes(_runId: string, _globs: string[]): Promise<Record<string, string>> {
    return {};
  }
}
