/** File helpers shared by the file-backed run-log stores. */
import { statSync, type Stats } from 'node:fs';

export { writeAll, writeFileAtomic } from '../util/write-sync.js';

/** A write through a file descriptor fails without a path (`ENOSPC: no space left on device, write`): say which file. */
function withPath(e: unknown, path: string): unknown {
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err === 'object' && err.code && !err.path) err.path = path;
  return e;
}

export const statOrUndefined = (path: string): Stats | undefined => statSync(path, { throwIfNoEntry: false });

export const isErrno = (e: unknown, code: string): boolean =>
  typeof e === 'object' && e !== null && (e as NodeJS.ErrnoException).code === code;
