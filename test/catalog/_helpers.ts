/** Shared by the catalog tests: writing files below a folder, expecting an E_CATALOG error, a catalog without its capabilities. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import type { CatalogStore } from '../../src/catalog/types.js';
import { RunnableError } from '../../src/errors.js';

export async function write(root: string, rel: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(join(root, rel)), { recursive: true });
  await writeFile(join(root, rel), data);
}

export async function rejectsCatalog(p: Promise<unknown>, match: RegExp): Promise<RunnableError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(RunnableError);
  expect((e as RunnableError).code).toBe('E_CATALOG');
  expect((e as RunnableError).message).toMatch(match);
  return e as RunnableError;
}

/** The same catalog with its optional capabilities hidden: what the fallbacks, and a catalog that has none, see. */
export function withoutCapabilities(catalog: CatalogStore): CatalogStore {
  return {
    type: catalog.type,
    location: (r) => catalog.location(r),
    get: (r, g, c) => catalog.get(r, g, c),
    put: (r, g, c, s, o) => catalog.put(r, g, c, s, o),
    writeFile: (r, p, d) => catalog.writeFile(r, p, d),
    readFile: (r, p) => catalog.readFile(r, p),
    list: (r) => catalog.list(r),
  };
}
