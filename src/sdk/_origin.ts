/**
 * The module that called `pipeline(...)`: shown as the pipeline's `source.path` (in messages
 * and the run log's `run_config`). Read from V8's structured call sites, so no stack text is
 * formatted and no source map is consulted.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

type Caller = (...args: never[]) => unknown;

/** Absolute path of the file of the frame just above `below`, when it is a file. */
export function callerFile(below: Caller): string | undefined {
  const original = Error.prepareStackTrace;
  let sites: NodeJS.CallSite[] = [];
  try {
    Error.prepareStackTrace = (_err, callSites) => callSites;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, below);
    sites = Array.isArray(holder.stack) ? (holder.stack as NodeJS.CallSite[]) : [];
  } catch {
    return undefined;
  } finally {
    Error.prepareStackTrace = original;
  }
  for (const site of sites) {
    const name = site.getFileName?.();
    if (!name || name.startsWith('node:')) continue;
    const bare = name.replace(/[?#].*$/, '');
    if (bare.startsWith('file:')) return fileURLToPath(bare);
    if (path.isAbsolute(bare)) return bare;
  }
  return undefined;
}

/** `file` relative to `cwd` when inside it, else absolute; `/`-separated. */
export function displayFrom(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  return (rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file).split(path.sep).join('/');
}
