/**
 * The `file-system` catalog (SPEC §4, runnable's FileSystemCatalog): a run's files live at
 * `<catalog_location>/<run_id>/<relative path>`, the same relative path they have in the step's
 * working directory.
 */
import { lstat, readFile as fsReadFile, rm } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { escapePath, glob, isDynamicPattern } from 'tinyglobby';
import { RunnableError } from '../errors.js';
import type { DataCatalog } from '../runlog/types.js';
import { validateRunId } from '../util/run-id.js';
import { copyAtomic, isTempName, sha256File, writeAtomic } from './_files.js';
import { ConfinedRoot, isInside, normalizeRelPath } from './_paths.js';
import { catalogEntry, CONCURRENCY, CWD, putSelection, RUN_FOLDER, select, verifySources, type Source } from './_select.js';
import { mapLimit } from '../util/map-limit.js';
import type { CatalogStore } from './types.js';

export const DEFAULT_CATALOG_LOCATION = '.catalog';

/**
 * A pattern without glob syntax (a plain path, or a file name put through `escapePath`, as the
 * step cache asks for the files it restores) that names a regular file or nothing: that file,
 * or no match, found with one lstat instead of a crawl (several ms per pattern). Undefined for
 * everything else (directories expand to their files, symlinks are followed): the glob decides.
 */
async function literalFile(root: string, pattern: string): Promise<string[] | undefined> {
  if (isDynamicPattern(pattern)) return undefined;
  const rel = pattern.replace(/\\(.)/g, '$1');
  const info = await lstat(join(root, rel)).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' || e.code === 'ENOTDIR' ? null : undefined));
  if (info === null) return [];
  return info?.isFile() ? [rel] : undefined;
}

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
    const sources = await this.matchGet(runId, globs);
    const to = new ConfinedRoot(resolve(cwd), CWD, true);
    return mapLimit(sources, CONCURRENCY, async ({ rel, pattern, path, size }) => {
      const dest = await to.target(rel, `catalog get: pattern '${pattern}'`);
      const [hash] = await Promise.all([sha256File(path, size), copyAtomic(path, dest)]);
      return this.entry(runId, rel, hash, 'get');
    });
  }

  /** Capability: the files a `get` would copy, hashed where they lie. */
  async hashes(runId: string, globs: string[]): Promise<Record<string, string>> {
    const sources = await this.matchGet(runId, globs);
    const hashes = await mapLimit(sources, CONCURRENCY, ({ path, size }) => sha256File(path, size));
    return Object.fromEntries(sources.map(({ rel }, i) => [rel, hashes[i]!]));
  }

  /** Capability: a file copy from one run's folder into another's (nothing to do when both are the same file). */
  async copyBetweenRuns(fromRunId: string, toRunId: string, relPath: string): Promise<void> {
    const rel = normalizeRelPath(relPath, 'catalog copy', RUN_FOLDER);
    const context = `catalog copy '${relPath}' from run '${fromRunId}'`;
    const from = new ConfinedRoot(this.location(fromRunId), RUN_FOLDER, false);
    const to = new ConfinedRoot(this.location(toRunId), RUN_FOLDER, true);
    const { path } = await from.file(rel, context).catch((e: unknown) => {
      throw this.noFile(e, rel, fromRunId, from.root);
    });
    const dest = await to.target(rel, context);
    if (dest !== path) await copyAtomic(path, dest);
  }

  async put(runId: string, globs: string[], cwd: string, storeCopy: boolean): Promise<DataCatalog[]> {
    const root = resolve(cwd);
    const from = new ConfinedRoot(root, CWD, false);
    const to = new ConfinedRoot(this.location(runId), RUN_FOLDER, true);
    const sources = await verifySources(from, await putSelection(globs, root, this.ownFolderIgnore(root)), 'catalog put');
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
      throw this.noFile(e, rel, runId, from.root);
    }
  }

  async list(runId: string): Promise<string[]> {
    // dot: true — a run's files include the dot folders (`.objects/`) the catalog itself writes.
    const files = await glob(['**'], { cwd: this.location(runId), dot: true, onlyFiles: true, followSymbolicLinks: false });
    return files.filter((f) => !isTempName(f)).sort();
  }

  /**
   * Capability: the run's folder, counted first (temp files of a killed writer go too, uncounted).
   * `rm` removes a symlink in the folder, or the folder itself if it is one, without following it.
   */
  async deleteRun(runId: string): Promise<number> {
    const count = (await this.list(runId)).length;
    await rm(this.location(runId), { recursive: true, force: true });
    return count;
  }

  /**
   * The run's files the `get` globs match, each once (under the first glob that matched it),
   * task logs left out, every one verified inside the run's folder.
   */
  private async matchGet(runId: string, globs: string[]): Promise<Source[]> {
    const from = new ConfinedRoot(this.location(runId), RUN_FOLDER, false);
    const files = await select(globs, 'catalog get', async (normal) => (await literalFile(from.root, normal)) ?? (await glob([normal], { cwd: from.root, dot: false, onlyFiles: true })));
    return verifySources(from, files, 'catalog get');
  }

  /** A missing file is E_CATALOG naming it and the run; anything else passes through. */
  private noFile(e: unknown, rel: string, runId: string, root: string): unknown {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return e;
    return new RunnableError('E_CATALOG', `catalog: no file '${rel}' in run '${runId}' (${root})`);
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
