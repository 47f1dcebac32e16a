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

/** `.logs/<internal name>.attempt-<n>.log` (catalog/attempt-log.ts) */
export { attemptLogPath } from '../catalog/attempt-log.js';

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
