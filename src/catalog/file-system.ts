/**
 * The `file-system` catalog (SPEC §4, runnable's FileSystemCatalog): a run's files live at
 * `<catalog_location>/<run_id>/<relative path>`, the same relative path they have in the step's
 * working directory.
 */
import { readFile as fsReadFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { escapePath, glob } from 'tinyglobby';
import { RunnableError } from '../errors.js';
import type { DataCatalog } from '../runlog/types.js';
import { validateRunId } from '../util/run-id.js';
import { copyAtomic, isTempName, sha256File, writeAtomic } from './_files.js';
import { ConfinedRoot, isInside, normalizeRelPath } from './_paths.js';
import { catalogEntry, CONCURRENCY, CWD, putSelection, RUN_FOLDER, select, verifySources } from './_select.js';
import { mapLimit } from '../util/map-limit.js';
import type { CatalogStore } from './types.js';

export const DEFAULT_CATALOG_LOCATION = '.catalog';

export class FileSystemCatalog implements CatalogStore {
  readonly type = 'file-system';
  /** absolute; recorded as every entry's `catalog_handler_location` */
  readonly catalogLocation: string;

  constructor(catalogLocation: string) {
    this.catalogLocation = resolve(catalogLocation);
  }

  location(runId: string): string {
    // The run id becomes a folder name: make sure it is one path segment.
    validateRunId(runId);
    return join(this.catalogLocation, runId);
  }

  async get(runId: string, globs: string[], cwd: string): Promise<DataCatalog[]> {
    const from = new ConfinedRoot(this.location(runId), RUN_FOLDER, false);
    const to = new ConfinedRoot(resolve(cwd), CWD, true);
    const files = await select(globs, 'catalog get', (normal) => glob([normal], { cwd: from.root, dot: false, onlyFiles: true }));
    const sources = await verifySources(from, files, 'catalog get');
    return mapLimit(sources, CONCURRENCY, async ({ rel, pattern, path, size }) => {
      const dest = await to.target(rel, `catalog get: pattern '${pattern}'`);
      const [hash] = await Promise.all([sha256File(path, size), copyAtomic(path, dest)]);
      return this.entry(runId, rel, hash, 'get');
    });
  }

  async put(runId: string, globs: string[], cwd: string, storeCopy: boolean): Promise<DataCatalog[]> {
    const root = resolve(cwd);
    const from = new ConfinedRoot(root, CWD, false);
    const to = new ConfinedRoot(this.location(runId), RUN_FOLDER, true);
    const files = await putSelection(globs, root, this.ownFolderIgnore(root));
    const sources = await verifySources(from, files, 'catalog put');
    return mapLimit(sources, CONCURRENCY, async ({ rel, pattern, path, size }) => {
      const [hash] = await Promise.all([
        sha256File(path, size),
        storeCopy ? to.target(rel, `catalog put: pattern '${pattern}'`).then((dest) => copyAtomic(path, dest)) : undefined,
      ]);
      return this.entry(runId, rel, hash, 'put');
    });
  }

  async writeFile(runId: string, relPath: string, data: Uint8Array | string): Promise<void> {
    const rel = normalizeRelPath(relPath, 'catalog write', RUN_FOLDER);
    const to = new ConfinedRoot(this.location(runId), RUN_FOLDER, true);
    await writeAtomic(await to.target(rel, `catalog write '${relPath}'`), data);
  }

  async readFile(runId: string, relPath: string): Promise<Buffer> {
    const rel = normalizeRelPath(relPath, 'catalog read', RUN_FOLDER);
    const from = new ConfinedRoot(this.location(runId), RUN_FOLDER, false);
    try {
      const { path } = await from.file(rel, `catalog read '${relPath}'`);
      return await fsReadFile(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new RunnableError('E_CATALOG', `catalog: no file '${rel}' in run '${runId}' (${from.root})`);
      }
      throw e;
    }
  }

  async list(runId: string): Promise<string[]> {
    // dot: true — a run's files include the dot folders (`.objects/`) the catalog itself writes.
    const files = await glob(['**'], { cwd: this.location(runId), dot: true, onlyFiles: true, followSymbolicLinks: false });
    return files.filter((f) => !isTempName(f)).sort();
  }

  /** When the catalog lives inside the working directory, a broad put must not copy the catalog into itself. */
  private ownFolderIgnore(root: string): string[] {
    if (!isInside(root, this.catalogLocation) || root === this.catalogLocation) return [];
    const rel = relative(root, this.catalogLocation);
    if (!rel || isAbsolute(rel)) return [];
    return [`${escapePath(rel.split(sep).join('/'))}/**`];
  }

  private entry(runId: string, rel: string, hash: string, stage: 'get' | 'put'): DataCatalog {
    return catalogEntry(runId, rel, hash, stage, this.catalogLocation);
  }
}
