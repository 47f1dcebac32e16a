/**
 * What every catalog shares (SPEC §4), whatever holds the run's files: which files the globs of a
 * `get` or `put` select, the checks on them before anything moves, and the entries recorded.
 */
import picomatch from 'picomatch';
import { glob } from 'tinyglobby';
import { RunnableError } from '../errors.js';
import type { DataCatalog } from '../runlog/types.js';
import { CATALOG_GET_ROOT, CATALOG_PUT_ROOT } from '../graph/rules.js';
import { mapLimit } from '../util/map-limit.js';
import { normalizePattern, type ConfinedRoot } from './_paths.js';

export const CWD = CATALOG_PUT_ROOT;
export const RUN_FOLDER = CATALOG_GET_ROOT;

/** Files handled at once: copies and hashes overlap I/O, without exhausting descriptors or the libuv pool. */
export const CONCURRENCY = 16;

/** Never put: dependencies and the run-log store (a catalog inside the working directory adds its own folder). */
export const ALWAYS_IGNORED = ['**/node_modules/**', '.run_log_store/**'];

/**
 * runnable does not `get` task logs back into the working directory; a `get: ['**']` should
 * fetch data, not `<step>.execution.log` files.
 */
export const isExecutionLog = (rel: string): boolean => rel.endsWith('.execution.log');

export interface Source {
  rel: string;
  /** the glob that matched it, for messages */
  pattern: string;
  /** verified real path */
  path: string;
  size: number;
}

/**
 * The files the globs select, each under the first glob that matched it (so a file matched by
 * several globs is catalogued once), by relative path. `match` lists a normalised pattern's
 * matches; a `put` glob that matches nothing fails the step.
 */
export async function select(globs: string[], op: 'catalog get' | 'catalog put', match: (pattern: string) => Promise<string[]>): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const pattern of globs) {
    const normal = normalizePattern(pattern, op, op === 'catalog put' ? CWD : RUN_FOLDER);
    const matches = (await match(normal)).sort();
    if (op === 'catalog put' && !matches.length) throw new RunnableError('E_CATALOG', `catalog put: no file matches '${pattern}'`);
    for (const rel of matches) if (!(op === 'catalog get' && isExecutionLog(rel)) && !files.has(rel)) files.set(rel, pattern);
  }
  return files;
}

/** The files of the working directory that a `put` takes (dependencies, the run-log folder and `ignore` left out). */
export function putSelection(globs: string[], root: string, ignore: string[] = []): Promise<Map<string, string>> {
  return select(globs, 'catalog put', (normal) => glob([normal], { cwd: root, dot: false, onlyFiles: true, ignore: [...ALWAYS_IGNORED, ...ignore] }));
}

/**
 * Every source is checked before anything is copied, so a confinement violation leaves the
 * destination untouched rather than half-filled.
 */
export function verifySources(from: ConfinedRoot, files: Map<string, string>, op: string): Promise<Source[]> {
  return mapLimit([...files], CONCURRENCY, async ([rel, pattern]) => ({
    rel,
    pattern,
    ...(await from.file(rel, `${op}: pattern '${pattern}'`)),
  }));
}

/**
 * A matcher for paths that are not on a disk (object keys), reading a pattern as tinyglobby does
 * for files: a pattern that does not end in `*` also matches everything below it (`data` is the
 * file `data` or the folder's contents), and `dot: false`.
 */
export function pathMatcher(normal: string): (rel: string) => boolean {
  let pattern = normal.endsWith('/') ? normal.slice(0, -1) : normal;
  if (!pattern.endsWith('*')) pattern += '/**';
  return picomatch(pattern, { dot: false, posix: true });
}

/** The folder (file-system) or key prefix (s3) below a run's files that holds its claim records (types.ts ClaimRecords): never listed, got or hashed as a file. */
export const CLAIMS_FOLDER = '.claims';
export const isClaimRecord = (rel: string): boolean => rel.startsWith(`${CLAIMS_FOLDER}/`);

/** A claim record's key as one safe file name or key segment; anything else is a bug of the caller. */
export function claimKey(key: string): string {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(key)) throw new Error(`catalog claim key '${key}' is not a short safe name`);
  return key;
}

export function catalogEntry(runId: string, rel: string, hash: string, stage: 'get' | 'put', handlerLocation: string): DataCatalog {
  return {
    name: rel,
    data_hash: hash,
    catalog_relative_path: `${runId}/${rel}`,
    catalog_handler_location: handlerLocation,
    stage,
  };
}
