/**
 * Confinement (SPEC §4): nothing the catalog reads or writes may lie outside its root (the
 * step's working directory or the run's catalog folder), whether through an absolute path, `..`
 * or a symlink. Patterns are checked lexically first; then every resolved path is checked after
 * `realpath`, so a symlink inside the root that points outside is caught too.
 *
 * Not a defence against a concurrent attacker swapping directories between check and use; the
 * threat is a pipeline author's (or a data file's) path accidentally reaching outside.
 */
import { lstat, mkdir, realpath, stat } from 'node:fs/promises';
import { dirname, join, posix, sep } from 'node:path';
import { RunnableError } from '../errors.js';
import { catalogPatternProblem } from '../graph/rules.js';

const fail = (message: string): RunnableError => new RunnableError('E_CATALOG', message);

/**
 * Checks a glob pattern lexically and returns it normalised (`./a/b/../c` → `a/c`).
 * Rejected: empty, absolute (POSIX or Windows), and `..` that climbs above the root.
 */
export function normalizePattern(pattern: string, context: string, rootLabel: string): string {
  const problem = catalogPatternProblem(pattern, rootLabel);
  if (problem) throw fail(`${context}: ${problem}`);
  return posix.normalize(pattern);
}

/** As normalizePattern, for a plain relative file path (`writeFile`, `readFile`): must name a file below the root. */
export function normalizeRelPath(rel: string, context: string, rootLabel: string): string {
  const normal = normalizePattern(rel, context, rootLabel);
  if (normal === '.' || normal.endsWith('/')) throw fail(`${context}: '${rel}' does not name a file`);
  return normal;
}

/**
 * `mkdir -p`, reporting the real reason: Node's recursive mkdir says ENOENT when a parent
 * cannot be made (a read-only file system, no permission), so on ENOENT the first missing
 * folder is made alone to surface its error (EROFS, EACCES).
 */
async function mkdirs(path: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    let missing = path;
    while (dirname(missing) !== missing && !(await stat(dirname(missing)).catch(() => undefined))) missing = dirname(missing);
    await mkdir(missing);
    throw e;
  }
}

export const isInside = (root: string, p: string): boolean => p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);

/**
 * One root, resolved once per operation. Directory lookups are memoised so that thousands of
 * files in a few folders cost a few realpath calls, not thousands.
 */
export class ConfinedRoot {
  private realRoot?: Promise<string>;
  private readonly dirs = new Map<string, Promise<string>>();

  constructor(
    readonly root: string,
    /** for messages: "the working directory", "the run's catalog folder" */
    readonly label: string,
    /** create the root and missing directories below it (destinations) */
    private readonly create: boolean,
  ) {}

  private real(): Promise<string> {
    this.realRoot ??= (async () => {
      if (this.create) await mkdirs(this.root);
      return realpath(this.root);
    })();
    return this.realRoot;
  }

  /**
   * Real path of a directory below the root (posix-relative, '' or '.' for the root itself),
   * created level by level when this root creates; each level is verified before descending,
   * so a symlinked directory pointing outside is refused before anything is made through it.
   */
  dir(relDir: string, context: string): Promise<string> {
    const key = relDir === '.' ? '' : relDir;
    let found = this.dirs.get(key);
    if (!found) {
      found = key === '' ? this.real() : this.resolveDir(key, context);
      this.dirs.set(key, found);
    }
    return found;
  }

  private async resolveDir(relDir: string, context: string): Promise<string> {
    const parent = await this.dir(posix.dirname(relDir), context);
    const candidate = join(parent, posix.basename(relDir));
    if (this.create) await mkdir(candidate).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
    const real = await realpath(candidate);
    const root = await this.real();
    if (!isInside(root, real)) throw fail(`${context}: '${relDir}' resolves outside ${this.label} (through a symlink)`);
    const info = await stat(real);
    if (!info.isDirectory()) throw fail(`${context}: '${relDir}' is not a directory`);
    return real;
  }

  /** Verified real path and size of an existing file below the root; a symlinked file must point inside. */
  async file(rel: string, context: string): Promise<{ path: string; size: number }> {
    const dir = await this.dir(posix.dirname(rel), context);
    let path = join(dir, posix.basename(rel));
    const link = await lstat(path);
    if (link.isSymbolicLink()) {
      path = await realpath(path);
      if (!isInside(await this.real(), path)) {
        throw fail(`${context}: '${rel}' is a symlink to '${path}', outside ${this.label}`);
      }
    }
    const info = link.isSymbolicLink() ? await stat(path) : link;
    if (!info.isFile()) throw fail(`${context}: '${rel}' is not a regular file`);
    return { path, size: info.size };
  }

  /** Verified destination path for a file below the root; its directory exists afterwards when this root creates. */
  async target(rel: string, context: string): Promise<string> {
    return join(await this.dir(posix.dirname(rel), context), posix.basename(rel));
  }
}
