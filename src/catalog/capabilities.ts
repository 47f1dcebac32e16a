/**
 * The catalog's optional capabilities (types.ts), each with the fallback that any catalog
 * supports, so code that works with every catalog (the step cache) asks for the result and
 * never for the catalog's type.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimKey, CLAIMS_FOLDER } from './_select.js';
import type { CatalogStore, ClaimRecords } from './types.js';

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

/**
 * The run's claim records: `claims`, else records written as the catalog's own files under
 * `.claims/` with readFile and writeFile (a catalog that never had the capability): not
 * exclusive, so two branches claiming at the same moment may both win.
 */
export function claimRecords(catalog: CatalogStore): ClaimRecords {
  if (catalog.claims) return catalog.claims;
  const rel = (key: string) => `${CLAIMS_FOLDER}/${claimKey(key)}`;
  return {
    async create(runId, key, text) {
      const held = await catalog.readFile(runId, rel(key)).then(
        (b) => b.toString('utf8'),
        () => undefined,
      );
      if (held !== undefined) return held;
      await catalog.writeFile(runId, rel(key), text);
      return undefined;
    },
    replace: (runId, key, text) => catalog.writeFile(runId, rel(key), text),
  };
}
