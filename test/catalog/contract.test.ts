/**
 * The contract every catalog passes (SPEC §4; src/catalog/types.ts). It runs against each
 * registered type, built through the registry from its fixture in _members.ts, so a new catalog
 * is done when this file is green for it. Member-specific behaviour (the file-system layout,
 * symlinks, scale) stays in the member's own test file.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { escapePath } from 'tinyglobby';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { catalogHashes, catalogs, claimRecords, copyBetweenRuns, type CatalogStore, type PutFile } from '../../src/catalog/index.js';
import { RunnableError } from '../../src/errors.js';
import { memberFixture } from '../_members.js';
import { rejectsCatalog, withoutCapabilities, write } from './_helpers.js';
import { catalogMembers } from './_members.js';

const sha = (s: string | Uint8Array) => createHash('sha256').update(s).digest('hex');
const RUN = 'brave-curie-120000-abc123';
const OTHER = 'calm-bohr-120001-def456';
const BYTES = Buffer.from([0, 1, 2, 127, 128, 255]);

/** Every file below a folder, relative, sorted. */
async function filesIn(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

describe.each(catalogs.types())('catalog contract: %s', (type) => {
  const fixture = memberFixture(catalogMembers, type, 'test/catalog/_members.ts');
  if (!fixture) return;

  let dir: string;
  let cwd: string;
  let catalog: CatalogStore;
  /** a fresh working directory, as another step's (another machine's) would be */
  const elsewhere = async (name: string): Promise<string> => {
    const d = join(dir, name);
    await mkdir(d, { recursive: true });
    return d;
  };
  /** what a `get` of the globs would copy, by hash, into a fresh folder */
  const getThenHash = async (runId: string, globs: string[]): Promise<Record<string, string>> => {
    const entries = await catalog.get(runId, globs, await mkdtemp(join(dir, 'get-')));
    return Object.fromEntries(entries.map((e) => [e.name, e.data_hash]));
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), `catalog-${type}-`));
    cwd = await elsewhere('work');
    catalog = catalogs.create(type, fixture.config(dir), { cwd, env: fixture.env?.() ?? {} });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('reports its type and a location per run', () => {
    expect(catalog.type).toBe(type);
    expect(typeof catalog.location(RUN)).toBe('string');
  });

  if (!fixture.keepsFiles) {
    it('moves, records and keeps nothing; reading a file is an E_CATALOG error', async () => {
      await write(cwd, 'a.csv', 'a');
      expect(await catalog.put(RUN, ['*.csv', 'no/match/*'], cwd, true)).toEqual([]);
      expect(await catalog.get(RUN, ['**'], await elsewhere('other'))).toEqual([]);
      await catalog.writeFile(RUN, '.logs/step.attempt-1.log', 'x');
      expect(await catalog.list(RUN)).toEqual([]);
      await rejectsCatalog(catalog.readFile(RUN, '.logs/step.attempt-1.log'), /./);
      expect(await filesIn(dir)).toEqual(['work/a.csv']);
      expect(await catalogHashes(catalog, RUN, ['**'])).toEqual({});
      if (catalog.hashes) expect(await catalog.hashes(RUN, ['**'])).toEqual({});
      if (catalog.deleteRun) expect(await catalog.deleteRun(RUN)).toBe(0);
    });
    return;
  }

  it("deletes a run's files, every one, and nothing of another run's (deleteRun)", async (ctx) => {
    if (!catalog.deleteRun) ctx.skip();
    await write(cwd, 'out/deep/a.csv', 'a');
    await write(cwd, 'b.bin', BYTES);
    await catalog.put(RUN, ['out/**', 'b.bin'], cwd, true);
    await catalog.writeFile(RUN, '.logs/step.attempt-1.log', 'log');
    await catalog.writeFile(RUN, '.objects/_root/x.v8', 'obj');
    await catalog.put(OTHER, ['b.bin'], cwd, true);
    const before = (await fixture.keys?.(dir)) ?? [];
    expect(await catalog.deleteRun!(RUN)).toBe(4);
    expect(await catalog.list(RUN)).toEqual([]);
    expect(await catalog.get(RUN, ['**'], await elsewhere('other'))).toEqual([]);
    await rejectsCatalog(catalog.readFile(RUN, 'b.bin'), /b\.bin/);
    expect(await catalog.list(OTHER)).toEqual(['b.bin']);
    expect(await catalog.readFile(OTHER, 'b.bin')).toEqual(BYTES);
    if (fixture.keys) {
      const of = (id: string) => (k: string) => k === id || k.startsWith(`${id}/`);
      expect(before.filter(of(RUN))).toHaveLength(4);
      const after = await fixture.keys(dir);
      expect(after.filter(of(RUN))).toEqual([]);
      expect(after.filter(of(OTHER))).toEqual(before.filter(of(OTHER)));
    }
    // a run with no files (or deleted already) is not an error; its id takes files again
    expect(await catalog.deleteRun!(RUN)).toBe(0);
    expect(await catalog.deleteRun!('no-such-run')).toBe(0);
    await catalog.writeFile(RUN, 'again.txt', 'again');
    expect(await catalog.list(RUN)).toEqual(['again.txt']);
    for (const bad of ['../up', 'a/b', '', '.']) await expect(catalog.deleteRun!(bad)).rejects.toThrow(RunnableError);
    expect(await catalog.list(OTHER)).toEqual(['b.bin']);
  });

  it('refuses run ids that are not one path segment', async () => {
    await write(cwd, 'a.txt', 'a');
    for (const bad of ['../up', 'a/b', '']) {
      expect(() => catalog.location(bad)).toThrow(RunnableError);
      await expect(catalog.put(bad, ['a.txt'], cwd, true)).rejects.toThrow(RunnableError);
      await expect(catalog.writeFile(bad, 'x.txt', 'x')).rejects.toThrow(RunnableError);
    }
    expect((await filesIn(dir)).filter((f) => !f.startsWith('catalog/'))).toEqual(['work/a.txt']);
  });

  it('put copies the files the globs match, each once, with its sha256; get copies them into another working directory', async () => {
    await write(cwd, 'out/a.csv', 'a,b\n1,2\n');
    await write(cwd, 'out/deep/er/b.csv', 'b');
    await write(cwd, 'out/c.txt', 'not csv');
    await write(cwd, 'model/weights.bin', BYTES);
    const put = await catalog.put(RUN, ['out/**/*.csv', 'model/*', 'out/a.csv'], cwd, true);
    expect(put.map((e) => e.name)).toEqual(['out/a.csv', 'out/deep/er/b.csv', 'model/weights.bin']);
    for (const e of put) {
      expect(e).toEqual({
        name: e.name,
        data_hash: sha(await readFile(join(cwd, e.name))),
        catalog_relative_path: `${RUN}/${e.name}`,
        catalog_handler_location: expect.any(String),
        stage: 'put',
      });
    }
    expect(await catalog.list(RUN)).toEqual(['model/weights.bin', 'out/a.csv', 'out/deep/er/b.csv']);

    const other = await elsewhere('other');
    const got = await catalog.get(RUN, ['out/**/*.csv', 'model/*.bin', 'nothing/*'], other);
    expect(got).toEqual(put.map((e) => ({ ...e, stage: 'get' })));
    expect(await filesIn(other)).toEqual(['model/weights.bin', 'out/a.csv', 'out/deep/er/b.csv']);
    expect(await readFile(join(other, 'out/deep/er/b.csv'), 'utf8')).toBe('b');
    expect(await readFile(join(other, 'model/weights.bin'))).toEqual(BYTES);
    expect(await catalog.readFile(RUN, 'model/weights.bin')).toEqual(BYTES);
  });

  it("a pattern naming a folder takes the files below it; a file's name through escapePath matches that file alone", async () => {
    const names = ['data/we(i)rd [1].txt', 'data/we(i)rd [2].txt', 'data/{a,b}.txt', 'data/a.txt', 'data/*.txt', 'data/sub/x.txt'];
    for (const name of names) await write(cwd, name, name);
    expect((await catalog.put(RUN, ['data'], cwd, true)).map((e) => e.name).sort()).toEqual([...names].sort());
    const other = await elsewhere('other');
    for (const name of names) {
      expect((await catalog.get(RUN, [escapePath(name)], other)).map((e) => [e.name, e.data_hash])).toEqual([[name, sha(name)]]);
      if (catalog.hashes) expect(await catalog.hashes(RUN, [escapePath(name)])).toEqual({ [name]: sha(name) });
    }
    expect((await catalog.get(RUN, ['data/sub'], await elsewhere('third'))).map((e) => e.name)).toEqual(['data/sub/x.txt']);
    expect(await catalog.get(RUN, [escapePath('data/nothing [1].txt')], other)).toEqual([]);
  });

  it('store_copy false records the hash and keeps no copy', async () => {
    await write(cwd, 'big/x.dat', 'xyz');
    const put = await catalog.put(RUN, ['big/*'], cwd, false);
    expect(put).toEqual([expect.objectContaining({ name: 'big/x.dat', data_hash: sha('xyz'), catalog_relative_path: `${RUN}/big/x.dat`, stage: 'put' })]);
    expect(await catalog.list(RUN)).toEqual([]);
    expect(await catalog.get(RUN, ['**'], await elsewhere('other'))).toEqual([]);
  });

  it('a put glob that matches nothing fails naming the glob, and nothing is put', async () => {
    await write(cwd, 'out/a.txt', 'a');
    await rejectsCatalog(catalog.put(RUN, ['out/*.txt', 'out/*.csv'], cwd, true), /no file matches 'out\/\*\.csv'/);
    expect(await catalog.list(RUN)).toEqual([]);
  });

  it('a get glob that matches nothing, or a run that has no files, is not an error', async () => {
    expect(await catalog.get('no-such-run', ['**/*', 'x.csv'], cwd)).toEqual([]);
    await catalog.writeFile(RUN, 'data.csv', 'd');
    expect(await catalog.get(RUN, ['*.txt', 'none/**'], cwd)).toEqual([]);
    expect(await filesIn(cwd)).toEqual([]);
  });

  it('a second put and a get overwrite', async () => {
    await write(cwd, 'f.txt', 'one');
    await catalog.put(RUN, ['f.txt'], cwd, true);
    await write(cwd, 'f.txt', 'two');
    const [e] = await catalog.put(RUN, ['f.txt'], cwd, true);
    expect(e!.data_hash).toBe(sha('two'));
    await write(cwd, 'f.txt', 'local');
    await catalog.get(RUN, ['f.txt'], cwd);
    expect(await readFile(join(cwd, 'f.txt'), 'utf8')).toBe('two');
    expect(await catalog.list(RUN)).toEqual(['f.txt']);
  });

  it("keeps each run's files apart", async () => {
    await write(cwd, 'a.txt', 'for run 1');
    await catalog.put(RUN, ['a.txt'], cwd, true);
    expect(await catalog.list(OTHER)).toEqual([]);
    expect(await catalog.get(OTHER, ['a.txt'], await elsewhere('other'))).toEqual([]);
    await rejectsCatalog(catalog.readFile(OTHER, 'a.txt'), /a\.txt/);
  });

  it('writeFile / readFile / list: nested, binary and dot folders (.logs/, .objects/), sorted', async () => {
    await catalog.writeFile(RUN, '.logs/train.attempt-1.log', 'hello');
    await catalog.writeFile(RUN, '.objects/_root/x.v8', new Uint8Array([1, 2]));
    await catalog.writeFile(RUN, 'b/c.bin', BYTES);
    await catalog.writeFile(RUN, 'a.txt', 'a');
    expect((await catalog.readFile(RUN, '.logs/train.attempt-1.log')).toString()).toBe('hello');
    expect(await catalog.readFile(RUN, './.objects/_root/x.v8')).toEqual(Buffer.from([1, 2]));
    expect(await catalog.readFile(RUN, 'b/c.bin')).toEqual(BYTES);
    expect(await catalog.list(RUN)).toEqual(['.logs/train.attempt-1.log', '.objects/_root/x.v8', 'a.txt', 'b/c.bin']);
    await catalog.writeFile(RUN, 'a.txt', 'again');
    expect((await catalog.readFile(RUN, 'a.txt')).toString()).toBe('again');
    expect(await catalog.list('other-run')).toEqual([]);
    await rejectsCatalog(catalog.readFile(RUN, 'missing.txt'), /missing\.txt/);
  });

  it("get does not fetch the catalog's own files: dot folders (.logs/, .objects/) and task logs", async () => {
    await catalog.writeFile(RUN, '.logs/train.attempt-1.log', 'log');
    await catalog.writeFile(RUN, '.objects/_root/x.v8', 'obj');
    await catalog.writeFile(RUN, 'train.execution.log', 'log');
    await catalog.writeFile(RUN, 'data.csv', 'd');
    const got = await catalog.get(RUN, ['**', '*'], cwd);
    expect(got.map((e) => e.name)).toEqual(['data.csv']);
    expect(await filesIn(cwd)).toEqual(['data.csv']);
  });

  it('confines paths: absolute patterns and paths, and .. that leaves the root, are E_CATALOG errors', async () => {
    await write(cwd, 'a.txt', 'a');
    await catalog.put(RUN, ['a.txt'], cwd, true);
    for (const bad of ['/etc/passwd', '../a.txt', 'x/../../a.txt', 'C:\\Windows\\x']) {
      await rejectsCatalog(catalog.put(RUN, [bad], cwd, true), /absolute|leaves/);
      await rejectsCatalog(catalog.get(RUN, [bad], cwd), /absolute|leaves/);
      await rejectsCatalog(catalog.writeFile(RUN, bad, 'x'), /absolute|leaves/);
      await rejectsCatalog(catalog.readFile(RUN, bad), /absolute|leaves/);
      if (catalog.hashes) await rejectsCatalog(catalog.hashes(RUN, [bad]), /absolute|leaves/);
      if (catalog.copyBetweenRuns) await rejectsCatalog(catalog.copyBetweenRuns(RUN, OTHER, bad), /absolute|leaves/);
    }
    expect(await catalog.list(RUN)).toEqual(['a.txt']);
    expect(await catalog.list(OTHER)).toEqual([]);
    expect(await filesIn(dirname(cwd)).then((fs) => fs.filter((f) => !f.startsWith('catalog/') && !f.startsWith('work/')))).toEqual([]);
  });

  it('hashes (when it has the capability, and through catalogHashes always) equals get-then-hash', async () => {
    await write(cwd, 'data/x.csv', 'x');
    await write(cwd, 'data/deep/y.csv', 'y');
    await write(cwd, 'data/z.bin', BYTES);
    await catalog.put(RUN, ['data/**'], cwd, true);
    await catalog.writeFile(RUN, '.objects/_root/o.v8', 'o');
    await catalog.writeFile(RUN, 'step.execution.log', 'log');
    const cases: [string, string[]][] = [
      [RUN, ['**']],
      [RUN, ['data/*.csv']],
      [RUN, ['data/**/*.csv', 'data/z.bin', 'data/x.csv']],
      [RUN, ['nothing/*']],
      ['no-such-run', ['**']],
    ];
    for (const [runId, globs] of cases) {
      const expected = await getThenHash(runId, globs);
      if (catalog.hashes) expect(await catalog.hashes(runId, globs)).toEqual(expected);
      expect(await catalogHashes(catalog, runId, globs)).toEqual(expected);
      expect(await catalogHashes(withoutCapabilities(catalog), runId, globs)).toEqual(expected);
    }
    expect(await getThenHash(RUN, ['**'])).toEqual({ 'data/x.csv': sha('x'), 'data/deep/y.csv': sha('y'), 'data/z.bin': sha(BYTES) });
    // hashing copies nothing into the working directory or the run
    expect(await catalog.list(RUN)).toEqual(['.objects/_root/o.v8', 'data/deep/y.csv', 'data/x.csv', 'data/z.bin', 'step.execution.log']);
  });

  it('claim records (the capability, and the fallback always): created once, read back, replaced; not files of the run', async () => {
    for (const c of [catalog, withoutCapabilities(catalog)]) {
      const run = `${OTHER}-${c === catalog ? 'native' : 'fallback'}`;
      const records = claimRecords(c);
      expect(await records.create(run, 'k1', 'first')).toBeUndefined();
      expect(await records.create(run, 'k1', 'second')).toBe('first');
      await records.replace(run, 'k1', 'third');
      expect(await records.create(run, 'k1', 'fourth')).toBe('third');
      await expect(records.create(run, '../up', 'x')).rejects.toThrow();
    }
    expect(catalog.claims).toBeDefined();
    // exclusive: of concurrent creates one wins, and the others read its text back
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => catalog.claims!.create(RUN, 'race', `t${i}`)));
    const winner = results.indexOf(undefined);
    expect(results.filter((r) => r === undefined)).toHaveLength(1);
    expect(results.filter((r) => r !== undefined)).toEqual(Array(7).fill(`t${winner}`));
    // never listed, got, hashed or counted as files; deleteRun removes them
    await write(cwd, 'a.txt', 'a');
    await catalog.put(RUN, ['a.txt'], cwd, true);
    expect(await catalog.list(RUN)).toEqual(['a.txt']);
    expect((await catalog.get(RUN, ['**', '.claims/**'], await elsewhere('other'))).map((e) => e.name)).toEqual(['a.txt']);
    expect(Object.keys(await catalogHashes(catalog, RUN, ['.claims/*']))).toEqual([]);
    if (catalog.deleteRun) {
      expect(await catalog.deleteRun(RUN)).toBe(1);
      if (fixture.keys) expect((await fixture.keys(dir)).filter((k) => k.startsWith(`${RUN}/`))).toEqual([]);
      expect(await catalog.claims!.create(RUN, 'race', 'anew')).toBeUndefined();
    }
  });

  it('put admits each file, with its sha256 and the pattern that selected it, before storing it (store_copy true and false)', async () => {
    await write(cwd, 'x/1.txt', 'one');
    await write(cwd, 'x/2.txt', 'two');
    for (const storeCopy of [true, false]) {
      const run = `${RUN}-${storeCopy}`;
      const seen: PutFile[] = [];
      const entries = await catalog.put(run, ['x/1.txt', 'x/*.txt'], cwd, storeCopy, { admit: async (f) => void seen.push(f) });
      expect(entries.map((e) => e.name).sort()).toEqual(['x/1.txt', 'x/2.txt']);
      expect(seen.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
        { name: 'x/1.txt', sha256: sha('one'), pattern: 'x/1.txt' },
        { name: 'x/2.txt', sha256: sha('two'), pattern: 'x/*.txt' },
      ]);
      // a refused file is not stored
      const refused = catalog.put(run, ['x/*.txt'], cwd, storeCopy, {
        admit: async (f) => {
          if (f.name === 'x/2.txt') throw new RunnableError('E_CATALOG', 'not this one');
        },
      });
      await rejectsCatalog(refused, /not this one/);
      await write(cwd, 'x/2.txt', 'changed');
      await rejectsCatalog(catalog.put(run, ['x/2.txt'], cwd, storeCopy, { admit: async () => Promise.reject(new RunnableError('E_CATALOG', 'no')) }), /no/);
      expect(await catalog.list(run)).toEqual(storeCopy ? ['x/1.txt', 'x/2.txt'] : []);
      if (storeCopy) expect((await catalog.readFile(run, 'x/2.txt')).toString()).toBe('two');
      await write(cwd, 'x/2.txt', 'two');
    }
  });

  it('copyBetweenRuns (when it has the capability, and through the fallback always) copies one file into another run', async () => {
    await write(cwd, 'data/deep/y.bin', BYTES);
    await catalog.put(RUN, ['data/**'], cwd, true);
    await catalog.writeFile(RUN, '.objects/_root/o.v8', 'o');
    for (const c of [catalog, withoutCapabilities(catalog)]) {
      const target = `${OTHER}-${c === catalog ? 'native' : 'fallback'}`;
      await copyBetweenRuns(c, RUN, target, 'data/deep/y.bin');
      await copyBetweenRuns(c, RUN, target, '.objects/_root/o.v8');
      expect(await catalog.list(target)).toEqual(['.objects/_root/o.v8', 'data/deep/y.bin']);
      expect(await catalog.readFile(target, 'data/deep/y.bin')).toEqual(BYTES);
      expect(await catalogHashes(catalog, target, ['**'])).toEqual(await catalogHashes(catalog, RUN, ['**']));
      await rejectsCatalog(copyBetweenRuns(c, RUN, target, 'data/missing.bin'), /missing\.bin/);
      // into its own run: the file stays as it was
      await copyBetweenRuns(c, RUN, RUN, 'data/deep/y.bin');
      expect(await catalog.readFile(RUN, 'data/deep/y.bin')).toEqual(BYTES);
    }
    expect(await catalog.list(RUN)).toEqual(['.objects/_root/o.v8', 'data/deep/y.bin']);
  });
});
