/** File primitives of the file-system catalog: hashing and copies that readers never see half-written. */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';

/** Below this size one read beats a stream (thousands of small files); above it, memory stays flat. */
const READ_WHOLE_MAX = 4 * 1024 * 1024;

/** sha256 hex of a file's bytes. */
export async function sha256File(path: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  if (size <= READ_WHOLE_MAX) {
    hash.update(await readFile(path));
  } else {
    await pipeline(createReadStream(path), hash);
  }
  return hash.digest('hex');
}

export const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

/**
 * Writes go to a temporary sibling and are renamed into place: a concurrent reader (another
 * branch, another process) sees the old file or the new one, never a torn one, and a symlink
 * at the destination is replaced rather than written through.
 */
export async function atomically(dest: string, write: (tmp: string) => Promise<void>): Promise<void> {
  // A dot name: globs with `dot: false` (a concurrent step's put) never pick up a half-written
  // file; the base is cut so the temporary name stays within the 255-byte name limit.
  const tmp = join(dirname(dest), `.${basename(dest).slice(0, 100)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await write(tmp);
    await rename(tmp, dest);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Matches the temporary names above, so listings can leave out writes in flight. */
export const isTempName = (name: string): boolean => /(^|\/)\.[^/]*\.\d+\.[0-9a-f]{8}\.tmp$/.test(name);

/** Byte-for-byte copy (copyFile: copy_file_range / reflink where the OS offers it). */
export const copyAtomic = (src: string, dest: string): Promise<void> => atomically(dest, (tmp) => copyFile(src, tmp));

export const writeAtomic = (dest: string, data: Uint8Array | string): Promise<void> => atomically(dest, (tmp) => writeFile(tmp, data));
