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
    try {
      writeAll(fd, content);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    // a full disk mid-write must not leave the temp file behind either
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw withPath(e, path);
  }
}

/** writes the whole string (writeSync may write less than asked); returns the byte count; `path` names the file in errors */
export function writeAll(fd: number, content: string, path?: string): number {
  const buf = Buffer.from(content, 'utf8');
  let done = 0;
  try {
    while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done);
  } catch (e) {
    throw path ? withPath(e, path) : e;
  }
  return buf.length;
}

/** A write through a file descriptor fails without a path (`ENOSPC: no space left on device, write`): say which file. */
function withPath(e: unknown, path: string): unknown {
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err === 'object' && err.code && !err.path) err.path = path;
  return e;
}

