/** Shared by the catalog tests: writing files below a folder, and expecting an E_CATALOG error. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
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
