/** Synchronous writes for the file-backed run-log stores and step cache: small files, whole or not at all. */
import { closeSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

let tmpCounter = 0;

/**
 * Writes `content` to `path` so that readers see the old file or the new one, never a part:
 * a temp file in the same folder (dot-prefixed, so listings skip it), then a rename.
 * No fsync: the crash model is a killed process, whose writes the OS page cache keeps.
 */
export function writeFileAtomic(path: string, content: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${++tmpCounter}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    writeAll(fd, content);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw e;
  }
}

/** writes the whole string (writeSync may write less than asked); returns the byte count */
export function writeAll(fd: number, content: string): number {
  const buf = Buffer.from(content, 'utf8');
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done);
  return buf.length;
}

