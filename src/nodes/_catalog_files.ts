/**
 * Files a task writes into the run's catalog itself (besides its `put` globs): the attempt's log
 * and a notebook's executed copy. Their names come from internal names, which hold map items of
 * any length and content, so they are made to fit (src/util/file-name.ts).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { escapePath } from 'tinyglobby';
import type { CatalogStore } from '../catalog/types.js';
import type { DataCatalog } from '../runlog/types.js';
import { capLength, safeSegment } from '../util/file-name.js';

/**
 * `.logs/<internal name>.attempt-<n>.log`: the name as it is when it is a plain, short file name
 * (as runnable names it), else made safe and cut with a hash so it always fits.
 */
export function attemptLogPath(internalName: string, attempt: number): string {
  const plain = !/[/\\\0%]/.test(internalName) && !internalName.startsWith('.');
  const name = plain ? capLength(internalName, internalName) : safeSegment(internalName);
  return `.logs/${name}.attempt-${attempt}.log`;
}

/**
 * Puts bytes into the catalog at `relPath` as a `put` would put a file the step wrote, so that
 * the step's data_catalog records it with its hash like every other catalog file.
 */
export async function putBytes(catalog: CatalogStore, runId: string, relPath: string, data: Uint8Array | string): Promise<DataCatalog[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'runnable-put-'));
  try {
    const file = path.join(dir, ...relPath.split('/'));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, data);
    return await catalog.put(runId, [escapePath(relPath)], dir, true);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
