/** File helpers shared by the file-backed run-log stores. */
import { statSync, type Stats } from 'node:fs';

export { writeAll, writeFileAtomic } from '../util/write-sync.js';

export const statOrUndefined = (path: string): Stats | undefined => statSync(path, { throwIfNoEntry: false });

export const isErrno = (e: unknown, code: string): boolean =>
  typeof e === 'object' && e !== null && (e as NodeJS.ErrnoException).code === code;
