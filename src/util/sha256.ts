/** sha256 hex digests of bytes and files: catalog entries, step-cache keys, code identities. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';

/** Below this size one read beats a stream (thousands of small files); above it, memory stays flat. */
const READ_WHOLE_MAX = 4 * 1024 * 1024;

export const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

/** sha256 of a file's bytes, its size known (from the stat the caller made anyway). */
export async function sha256File(path: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  if (size <= READ_WHOLE_MAX) {
    hash.update(await readFile(path));
  } else {
    await pipeline(createReadStream(path), hash);
  }
  return hash.digest('hex');
}

/** sha256 of a file's bytes; '' when there is no such file. */
export async function fileHash(path: string): Promise<string> {
  const info = await stat(path).catch(() => undefined);
  return info?.isFile() ? sha256File(path, info.size) : '';
}
