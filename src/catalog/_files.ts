/** File primitives of the file-system catalog: hashing and copies that readers never see half-written. */
import { randomBytes } from 'node:crypto';
import { copyFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import { sha256File } from '../util/sha256.js';

export { sha256, sha256File } from '../util/sha256.js';

/**
 * Writes go to a temporary sibling and are renamed into place: a concurrent reader (another
 * branch, another process) sees the old file or the new one, never a torn one, and a symlink
 * at the destination is replaced rather than written through.
 */
export async function atomically(dest: string, write: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = tempName(dest);
  try {
    await write(tmp);
    await rename(tmp, dest);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * A temporary sibling of `dest`. A dot name: globs with `dot: false` (a concurrent step's put)
 * never pick up a half-written file; the base is cut so the name stays within the 255-byte limit.
 */
export const tempName = (dest: string): string => join(dirname(dest), `.${basename(dest).slice(0, 100)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);

/** Matches the temporary names above, so listings can leave out writes in flight. */
export const isTempName = (name: string): boolean => /(^|\/)\.[^/]*\.\d+\.[0-9a-f]{8}\.tmp$/.test(name);

/** Byte-for-byte copy (copyFile: copy_file_range / reflink where the OS offers it). */
export const copyAtomic = (src: string, dest: string): Promise<void> => atomically(dest, (tmp) => copyFile(src, tmp));

/**
 * Copies `src` to `dest` and returns the sha256 of the bytes copied: the copy is hashed before it
 * is renamed into place, so the hash is the stored file's even if `src` changes meanwhile (a
 * sibling branch rewriting it in a shared working directory). `vet` may refuse the hash (throw):
 * then nothing is stored.
 */
export async function copyHashed(src: string, dest: string, size: number, vet?: (sha256: string) => Promise<void>): Promise<string> {
  let hash = '';
  await atomically(dest, async (tmp) => {
    await copyFile(src, tmp);
    hash = await sha256File(tmp, size);
    await vet?.(hash);
  });
  return hash;
}

export const writeAtomic = (dest: string, data: Uint8Array | string): Promise<void> => atomically(dest, (tmp) => writeFile(tmp, data));
