/**
 * The `file-system` catalog (SPEC §4, runnable's FileSystemCatalog): a run's files live at
 * `<catalog_location>/<run_id>/<relative path>`, the same relative path they have in the step's
 * working directory.
 */
import { link, lstat, mkdir, readFile as fsReadFile, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { escapePath, glob, isDynamicPattern } from 'tinyglobby';
import { RunnableError } from '../errors.js';
import type { DataCatalog } from '../runlog/types.js';
import { validateRunId } from '../util/run-id.js';
import { copyAtomic, copyHashed, isTempName, sha256File, tempName, writeAtomic } from './_files.js';
import { ConfinedRoot, isInside, normalizeRelPath } from './_paths.js';
import { catalogEntry, claimKey, CLAIMS_FOLDER, CONCURRENCY, CWD, isClaimRecord, putSelection, RUN_FOLDER, select, verifySources, type Source } from './_select.js';
import { mapLimit } from '../util/map-limit.js';
import type { CatalogStore, ClaimRecords, PutOptions } from './types.js';

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

  async put(runId: string, globs: string[], cwd: string, storeCopy: boolean, options: PutOptions = {}): Promise<DataCatalog[]> {
    const root = resolve(cwd);
    const from = new ConfinedRoot(root, CWD, false);
    const to = new ConfinedRoot(this.location(runId), RUN_FOLDER, true);
    const sources = await verifySources(from, await putSelection(globs, root, this.ownFolderIgnore(root)), 'catalog put');
    const { admit } = options;
    return mapLimit(sources, CONCURRENCY, async ({ rel, pattern, path, size }) => {
      // vetted before anything is stored; the hash recorded is the stored copy's (./_files.ts copyHashed)
      const vet = admit ? (sha256: string) => admit({ name: rel, sha256, pattern }) : undefined;
      let hash: string;
      if (storeCopy) {
        hash = await copyHashed(path, await to.target(rel, `catalog put: pattern '${pattern}'`), size, vet);
      } else {
        hash = await sha256File(path, size);
        await vet?.(hash);
      }
      return this.entry(runId, rel, hash, 'put');
    });
  }

  /**
   * Capability: claim records in `<run folder>/.claims/`. A record is written whole to a
   * temporary name and hard-linked into place (link fails if the name exists), so it is created
   * once and a reader never sees half of it; a file system without hard links gets an O_EXCL
   * create instead.
   */
  readonly claims: ClaimRecords = {
    create: async (runId, key, text) => {
      const dest = await this.claimPath(runId, key);
      const tmp = tempName(dest);
      await writeFile(tmp, text);
      try {
        await link(tmp, dest);
        return undefined;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') return fsReadFile(dest, 'utf8');
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw e;
        try {
          await writeFile(dest, text, { flag: 'wx' });
          return undefined;
        } catch (e2) {
          if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return fsReadFile(dest, 'utf8');
          throw e2;
        }
      } finally {
        await rm(tmp, { force: true });
      }
    },
    replace: async (runId, key, text) => writeAtomic(await this.claimPath(runId, key), text),
  };

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
    return files.filter((f) => !isTempName(f) && !isClaimRecord(f)).sort();
  }

  /**
   * Capability: the run's folder, counted first (temp files of a killed writer and claim records go too, uncounted).
   * `rm` removes a symlink in the folder, or the folder itself if it is one, without following it.
   */
  async deleteRun(runId: string): Promise<number> {
    const count = (await this.list(runId)).length;
    await rm(this.location(runId), { recursive: true, force: true });
    return count;
  }

  /**
   * The run's files the `get` globs match, each once (under the first glob that matched it),
   * task logs and claim records left out, every one verified inside the run's folder.
   */
  private async matchGet(runId: string, globs: string[]): Promise<Source[]> {
    const from = new ConfinedRoot(this.location(runId), RUN_FOLDER, false);
    const match = async (normal: string) => (await literalFile(from.root, normal)) ?? (await glob([normal], { cwd: from.root, dot: false, onlyFiles: true }));
    const files = await select(globs, 'catalog get', async (normal) => (await match(normal)).filter((rel) => !isClaimRecord(rel)));
    return verifySources(from, files, 'catalog get');
  }

  /** where claim record `key` of the run lives, its folder made */
  private async claimPath(runId: string, key: string): Promise<string> {
    const dir = join(this.location(runId), CLAIMS_FOLDER);
    await mkdir(dir, { recursive: true });
    return join(dir, claimKey(key));
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
