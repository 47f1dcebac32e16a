/**
 * The catalog's optional capabilities (types.ts), each with the fallback that any catalog
 * supports, so code that works with every catalog (the step cache) asks for the result and
 * never for the catalog's type.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CatalogStore } from './types.js';

/** sha256 per catalog-relative file the `get` globs match in the run's catalog: `hashes`, else a `get` into a temporary folder. */
export async function catalogHashes(catalog: CatalogStore, runId: string, globs: string[]): Promise<Record<string, string>> {
  if (!globs.length) return {};
  if (catalog.hashes) return catalog.hashes(runId, globs);
  const tmp = await mkdtemp(join(tmpdir(), 'runnable-catalog-hashes-'));
  try {
    const entries = await catalog.get(runId, globs, tmp);
    return Object.fromEntries(entries.map((e) => [e.name, e.data_hash]));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** One catalog-relative file from one run's catalog into another's: `copyBetweenRuns`, else read and write it. */
export async function copyBetweenRuns(catalog: CatalogStore, fromRunId: string, toRunId: string, relPath: string): Promise<void> {
  if (catalog.copyBetweenRuns) return catalog.copyBetweenRuns(fromRunId, toRunId, relPath);
  await catalog.writeFile(toRunId, relPath, await catalog.readFile(fromRunId, relPath));
}
