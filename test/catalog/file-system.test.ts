/**
 * What is particular to the file-system catalog: its layout, what a put never takes, symlinks and
 * scale. What every catalog does is in contract.test.ts.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { catalogs } from '../../src/catalog/index.js';
import { FileSystemCatalog } from '../../src/catalog/file-system.js';
import { rejectsCatalog, write } from './_helpers.js';

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

let base: string;
let cwd: string;
let cat: FileSystemCatalog;
const RUN = 'brave-curie-120000-abc123';

const rejects = rejectsCatalog;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'rts-cat-'));
  cwd = join(base, 'work');
  await mkdir(cwd);
  cat = catalogs.create('file-system', {}, { cwd }) as FileSystemCatalog;
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('file-system catalog', () => {
  it('defaults to .catalog under the working directory and rejects unknown config', () => {
    expect(cat.type).toBe('file-system');
    expect(cat.catalogLocation).toBe(join(cwd, '.catalog'));
    expect(cat.location(RUN)).toBe(join(cwd, '.catalog', RUN));
    const other = catalogs.create('file-system', { catalog_location: '../store' }, { cwd }) as FileSystemCatalog;
    expect(other.catalogLocation).toBe(join(base, 'store'));
    expect(() => catalogs.create('file-system', { catalog_locaton: 'x' }, { cwd })).toThrow(/unknown field/);
  });

  it('round-trips nested folders through put and get, with sha256 hashes', async () => {
    await write(cwd, 'out/a.csv', 'a,b\n1,2\n');
    await write(cwd, 'out/deep/er/b.csv', 'b');
    await write(cwd, 'out/c.txt', 'not csv');
    await write(cwd, 'model/weights.bin', Buffer.from([0, 1, 2, 255]));
    const put = await cat.put(RUN, ['out/**/*.csv', 'model'], cwd, true);
    expect(put.map((e) => e.name)).toEqual(['out/a.csv', 'out/deep/er/b.csv', 'model/weights.bin']);
    expect(put[0]).toEqual({
      name: 'out/a.csv',
      data_hash: sha('a,b\n1,2\n'),
      catalog_relative_path: `${RUN}/out/a.csv`,
      catalog_handler_location: join(cwd, '.catalog'),
      stage: 'put',
    });
    expect(put[2]!.data_hash).toBe(sha(Buffer.from([0, 1, 2, 255])));
    expect(await cat.list(RUN)).toEqual(['model/weights.bin', 'out/a.csv', 'out/deep/er/b.csv']);
    expect(await readFile(join(cwd, '.catalog', RUN, 'out/deep/er/b.csv'), 'utf8')).toBe('b');

    // get into a fresh working directory
    const other = join(base, 'other');
    await mkdir(other);
    const got = await cat.get(RUN, ['out/**/*.csv', 'model/*.bin', 'nothing/*'], other);
    expect(got.map((e) => [e.name, e.stage])).toEqual([
      ['out/a.csv', 'get'],
      ['out/deep/er/b.csv', 'get'],
      ['model/weights.bin', 'get'],
    ]);
    expect(got.map((e) => e.data_hash)).toEqual(put.map((e) => e.data_hash));
    expect(await readFile(join(other, 'out/deep/er/b.csv'), 'utf8')).toBe('b');
    expect(await readFile(join(other, 'model/weights.bin'))).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(existsSync(join(other, 'out/c.txt'))).toBe(false);
  });

  it('lists a file matched by several globs once; never puts the catalog, the run log store or node_modules', async () => {
    await write(cwd, 'a.csv', 'a');
    await write(cwd, 'node_modules/x/y.csv', 'y');
    await write(cwd, '.run_log_store/r.json', '{}');
    await cat.writeFile(RUN, 'old.csv', 'old');
    const put = await cat.put(RUN, ['*.csv', '**/*.csv', 'a.csv'], cwd, true);
    expect(put.map((e) => e.name)).toEqual(['a.csv']);
    const visible = await cat.put(RUN, ['.catalog/**', 'a.csv'], cwd, false).catch((e: Error) => e.message);
    expect(visible).toBe("catalog put: no file matches '.catalog/**'");
  });

  it('store_copy false records the hash and copies nothing', async () => {
    await write(cwd, 'big/x.dat', 'xyz');
    const put = await cat.put(RUN, ['big/*'], cwd, false);
    expect(put).toEqual([
      expect.objectContaining({ name: 'big/x.dat', data_hash: sha('xyz'), catalog_relative_path: `${RUN}/big/x.dat`, stage: 'put' }),
    ]);
    expect(existsSync(join(cwd, '.catalog'))).toBe(false);
    expect(await cat.list(RUN)).toEqual([]);
  });

  it('writeFile / readFile / list, with confined relative paths', async () => {
    await cat.writeFile(RUN, 'logs/step.execution.log', 'hello');
    await cat.writeFile(RUN, '.objects/_root/x.v8', new Uint8Array([1, 2]));
    expect((await cat.readFile(RUN, 'logs/step.execution.log')).toString()).toBe('hello');
    expect(await cat.readFile(RUN, './.objects/_root/x.v8')).toEqual(Buffer.from([1, 2]));
    expect(await cat.list(RUN)).toEqual(['.objects/_root/x.v8', 'logs/step.execution.log']);
    expect(await cat.list('other-run')).toEqual([]);
    await rejects(cat.readFile(RUN, 'missing.txt'), /no file 'missing.txt' in run/);
    await rejects(cat.readFile(RUN, '../escape.txt'), /leaves/);
    await rejects(cat.writeFile(RUN, '/etc/passwd', 'x'), /absolute/);
    await rejects(cat.writeFile(RUN, 'a/../../x', 'x'), /leaves/);
    expect(() => cat.location('../up')).toThrow(/invalid run id/);
  });
});

describe('file-system catalog confinement', () => {
  it('rejects absolute patterns and .. that leaves the folder', async () => {
    await write(base, 'secret.txt', 's');
    await rejects(cat.put(RUN, ['/etc/*'], cwd, true), /pattern '\/etc\/\*' is an absolute path/);
    await rejects(cat.put(RUN, ['../secret.txt'], cwd, true), /pattern '..\/secret.txt' leaves the working directory/);
    await rejects(cat.put(RUN, ['out/../../*.txt'], cwd, true), /leaves/);
    await rejects(cat.get(RUN, ['../*'], cwd), /pattern '..\/\*' leaves the run's catalog folder/);
    await rejects(cat.get(RUN, ['C:\\x\\*'], cwd), /absolute/);
    // `..` that stays inside is fine
    await write(cwd, 'out/a.csv', 'a');
    expect((await cat.put(RUN, ['x/../out/a.csv'], cwd, true)).map((e) => e.name)).toEqual(['out/a.csv']);
  });

  it('rejects a symlinked file or folder inside cwd that points outside', async () => {
    await write(base, 'outside/secret.txt', 'secret');
    await write(cwd, 'data/ok.txt', 'ok');
    await symlink(join(base, 'outside/secret.txt'), join(cwd, 'data/link.txt'));
    const e = await rejects(cat.put(RUN, ['data/*.txt'], cwd, true), /pattern 'data\/\*\.txt': 'data\/link.txt' is a symlink to .*outside the working directory/);
    expect(e.code).toBe('E_CATALOG');
    await rm(join(cwd, 'data/link.txt'));
    await symlink(join(base, 'outside'), join(cwd, 'data/dir'));
    await rejects(cat.put(RUN, ['data/**'], cwd, false), /'data\/dir' resolves outside the working directory/);
    expect(existsSync(join(cwd, '.catalog', RUN, 'data/ok.txt'))).toBe(false);
  });

  it('accepts a symlink that stays inside', async () => {
    await write(cwd, 'data/real.txt', 'real');
    await symlink(join(cwd, 'data/real.txt'), join(cwd, 'data/alias.txt'));
    const put = await cat.put(RUN, ['data/alias.txt'], cwd, true);
    expect(put[0]!.data_hash).toBe(sha('real'));
    expect(await readFile(join(cwd, '.catalog', RUN, 'data/alias.txt'), 'utf8')).toBe('real');
  });

  it('get does not write through a symlinked folder of cwd that points outside', async () => {
    await cat.writeFile(RUN, 'dir/f.txt', 'f');
    await mkdir(join(base, 'outside'));
    await symlink(join(base, 'outside'), join(cwd, 'dir'));
    await rejects(cat.get(RUN, ['dir/*'], cwd), /'dir' resolves outside the working directory/);
    expect(existsSync(join(base, 'outside/f.txt'))).toBe(false);
  });

  it('get replaces a symlinked file in cwd instead of writing through it', async () => {
    await cat.writeFile(RUN, 'f.txt', 'from catalog');
    await write(base, 'outside.txt', 'keep me');
    await symlink(join(base, 'outside.txt'), join(cwd, 'f.txt'));
    await cat.get(RUN, ['f.txt'], cwd);
    expect(await readFile(join(base, 'outside.txt'), 'utf8')).toBe('keep me');
    expect(await readFile(join(cwd, 'f.txt'), 'utf8')).toBe('from catalog');
  });

  it('refuses catalog files that are symlinks out of the catalog folder', async () => {
    await write(base, 'outside.txt', 'x');
    await mkdir(join(cwd, '.catalog', RUN), { recursive: true });
    await symlink(join(base, 'outside.txt'), join(cwd, '.catalog', RUN, 'evil.txt'));
    await rejects(cat.get(RUN, ['*.txt'], cwd), /'evil.txt' is a symlink to .*outside the run's catalog folder/);
    await rejects(cat.readFile(RUN, 'evil.txt'), /outside/);
  });
});

describe('file-system catalog at scale', () => {
  it('puts and gets 2,000 files', async () => {
    const N = 2_000;
    await Promise.all(
      Array.from({ length: N }, (_, i) => write(cwd, `data/part-${i % 20}/f${i}.csv`, `row,${i}\n`.repeat(50))),
    );
    let t = performance.now();
    const put = await cat.put(RUN, ['data/**/*.csv'], cwd, true);
    const putMs = performance.now() - t;
    expect(put).toHaveLength(N);
    expect(put.find((e) => e.name === 'data/part-7/f7.csv')!.data_hash).toBe(sha('row,7\n'.repeat(50)));

    t = performance.now();
    const hashOnly = await cat.put(RUN, ['data/**/*.csv'], cwd, false);
    const hashMs = performance.now() - t;
    expect(hashOnly).toHaveLength(N);

    const other = join(base, 'other');
    t = performance.now();
    const got = await cat.get(RUN, ['data/**'], other);
    const getMs = performance.now() - t;
    expect(got).toHaveLength(N);
    // timings are informational only (bench/ measures them): a loaded machine must not fail this
    console.log(`catalog 2,000 files: put ${putMs.toFixed(0)} ms, put store_copy=false ${hashMs.toFixed(0)} ms, get ${getMs.toFixed(0)} ms`);
  });
});
