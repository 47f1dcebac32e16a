import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { catalogs } from '../../src/catalog/index.js';
import { RunnableError } from '../../src/errors.js';

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'rts-dn-'));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe('do-nothing catalog', () => {
  it('moves, hashes and keeps nothing', async () => {
    const cat = catalogs.create('do-nothing', undefined, { cwd });
    expect(cat.type).toBe('do-nothing');
    await writeFile(join(cwd, 'a.csv'), 'a');
    expect(await cat.put('run', ['*.csv', 'no/match/*'], cwd, true)).toEqual([]);
    expect(await cat.get('run', ['**'], cwd)).toEqual([]);
    await cat.writeFile('run', 'x.log', 'x');
    expect(await cat.list('run')).toEqual([]);
    expect(existsSync(join(cwd, '.catalog'))).toBe(false);
    const e = await cat.readFile('run', 'x.log').catch((err: unknown) => err);
    expect(e).toBeInstanceOf(RunnableError);
    expect((e as RunnableError).message).toMatch(/do-nothing catalog keeps no files/);
  });

  it('takes no config', () => {
    expect(() => catalogs.create('do-nothing', { catalog_location: 'x' }, { cwd })).toThrow(/unknown field/);
    expect(catalogs.types()).toEqual(['file-system', 'do-nothing', 's3', 'minio']);
  });
});
