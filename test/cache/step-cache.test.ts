/**
 * The step-cache index (src/cache/): one contract for the StepCache of every run-log store type
 * that registers one (the store built from its fixture in test/runlog/_members.ts), the choice
 * of index by store type, and the miss reasons (src/nodes/_cache.ts `whatChanged`).
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { cacheModes, cacheSettings, FileSystemStepCache, MemoryStepCache, registerStepCache, stepCacheFor, stepCaches } from '../../src/cache/index.js';
import type { CacheEntry, CacheInputs, StepCache } from '../../src/cache/types.js';
import { sha256 } from '../../src/catalog/_files.js';
import { RunnableError } from '../../src/errors.js';
import { whatChanged } from '../../src/nodes/_cache.js';
import { stableJson } from '../../src/nodes/_cache_key.js';
import { runLogStores } from '../../src/runlog/index.js';
import type { RunLogStore } from '../../src/runlog/types.js';
import { memberFixture } from '../_members.js';
import { runLogStoreMembers } from '../runlog/_members.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'runnable-cache-'));
  dirs.push(d);
  return d;
};

const inputs = (over: Partial<CacheInputs> = {}): CacheInputs => ({
  kind: 'typescript',
  command: sha256('steps.ts:f'),
  source: sha256('function f(n) { return n }'),
  outputs: sha256('[]'),
  params: { n: sha256('1') },
  files: { 'data/x.csv': sha256('x') },
  ...over,
});

const entry = (key: string, step = 'train', runId = 'run-1', over: Partial<CacheEntry> = {}): CacheEntry => ({
  v: 1,
  key,
  step,
  run_id: runId,
  attempt_number: 1,
  created_at: '2024-01-01T00:00:00.000Z',
  inputs: inputs(),
  output_parameters: { n: { kind: 'json', value: 1 } },
  user_defined_metrics: {},
  objects: {},
  files: [],
  catalog_handler_location: '/somewhere/.catalog',
  ...over,
});

const K1 = sha256('k1');
const K2 = sha256('k2');

describe.each(stepCaches.types())('StepCache contract: the %s run-log store', (type) => {
  const fixture = memberFixture(runLogStoreMembers, type, 'test/runlog/_members.ts');
  if (!fixture) return;
  /** a fresh store in a fresh folder, and its cache */
  let make: () => StepCache;
  beforeEach(() => {
    make = () => {
      const cwd = tmp();
      const store = runLogStores.create(type, fixture.config(cwd), { cwd, env: fixture.env?.() ?? {} });
      const cache = stepCacheFor(store);
      if (!cache) throw new Error(`the '${type}' store registers a step cache but this instance keeps none`);
      return cache;
    };
  });

  it('finds nothing in an empty index', async () => {
    const c = make();
    expect(await c.lookup(K1)).toBeUndefined();
    expect(await c.latestFor('train')).toBeUndefined();
  });

  it('finds a saved entry by key and as its step latest; a later save replaces the latest only', async () => {
    const c = make();
    await c.save(entry(K1, 'train', 'run-1'));
    expect(await c.lookup(K1)).toEqual(entry(K1, 'train', 'run-1'));
    expect(await c.latestFor('train')).toEqual(entry(K1, 'train', 'run-1'));
    expect(await c.latestFor('map.a.train')).toBeUndefined();

    await c.save(entry(K2, 'train', 'run-2'));
    expect((await c.lookup(K1))?.run_id).toBe('run-1');
    expect((await c.lookup(K2))?.run_id).toBe('run-2');
    expect((await c.latestFor('train'))?.key).toBe(K2);

    // the same key again (a --no-cache run): the newest wins
    await c.save(entry(K1, 'train', 'run-3'));
    expect((await c.lookup(K1))?.run_id).toBe('run-3');
    expect((await c.latestFor('train'))?.key).toBe(K1);
  });

  it('hands out copies: changing what it returned or saved does not change the index', async () => {
    const c = make();
    const e = entry(K1);
    await c.save(e);
    e.output_parameters.n!.value = 99;
    const got = (await c.lookup(K1))!;
    expect(got.output_parameters.n!.value).toBe(1);
    got.output_parameters.n!.value = 98;
    expect((await c.lookup(K1))!.output_parameters.n!.value).toBe(1);
  });
});

describe('FileSystemStepCache', () => {
  it('lays entries out by key and by step hash, with no temporary files left', async () => {
    const folder = join(tmp(), '.cache');
    const c = new FileSystemStepCache(folder);
    await c.save(entry(K1, 'each.a.double'));
    expect(readdirSync(join(folder, 'keys', K1.slice(0, 2)))).toEqual([`${K1}.json`]);
    const h = sha256('each.a.double');
    expect(readdirSync(join(folder, 'steps', h.slice(0, 2)))).toEqual([`${h}.json`]);
  });

  it('treats malformed keys, corrupt files and other formats as absent (a cache never fails a run)', async () => {
    const folder = join(tmp(), '.cache');
    const c = new FileSystemStepCache(folder);
    expect(await c.lookup('../../etc/passwd')).toBeUndefined();
    await expect(c.save(entry('not-a-key'))).rejects.toThrow(/malformed key/);
    mkdirSync(join(folder, 'keys', K1.slice(0, 2)), { recursive: true });
    writeFileSync(join(folder, 'keys', K1.slice(0, 2), `${K1}.json`), '{"v": 1, "key": "');
    expect(await c.lookup(K1)).toBeUndefined();
    writeFileSync(join(folder, 'keys', K1.slice(0, 2), `${K1}.json`), JSON.stringify({ ...entry(K1), v: 2 }));
    expect(await c.lookup(K1)).toBeUndefined();
    // an entry under the wrong key file is not taken for that key
    writeFileSync(join(folder, 'keys', K1.slice(0, 2), `${K1}.json`), JSON.stringify(entry(K2)));
    expect(await c.lookup(K1)).toBeUndefined();
  });

  it('keeps concurrent saves whole', async () => {
    const c = new FileSystemStepCache(join(tmp(), '.cache'));
    await Promise.all(Array.from({ length: 20 }, (_, i) => c.save(entry(K1, 'train', `run-${i}`))));
    expect((await c.lookup(K1))?.key).toBe(K1);
    expect((await c.latestFor('train'))?.step).toBe('train');
  });
});

describe('the index of a run-log store', () => {
  const env = (cwd: string) => ({ cwd });

  it('file-system and chunked-fs: <log_folder>/.cache; buffered: in memory, one per store', () => {
    const cwd = tmp();
    const fs = stepCacheFor(runLogStores.create('file-system', { log_folder: 'logs' }, env(cwd)));
    expect(fs).toBeInstanceOf(FileSystemStepCache);
    expect(fs!.location).toBe(join(cwd, 'logs', '.cache'));
    const chunked = stepCacheFor(runLogStores.create('chunked-fs', {}, env(cwd)));
    expect(chunked!.location).toBe(join(cwd, '.run_log_store', '.cache'));

    const store = runLogStores.create('buffered', {}, env(cwd));
    const a = stepCacheFor(store);
    expect(a).toBeInstanceOf(MemoryStepCache);
    expect(stepCacheFor(store)).toBe(a);
    expect(stepCacheFor(runLogStores.create('buffered', {}, env(cwd)))).not.toBe(a);
  });

  it('a store type without a registered index caches nothing; registering one is one line', () => {
    const store = { type: 'remote-thing' } as unknown as RunLogStore;
    expect(stepCacheFor(store)).toBeUndefined();
    expect(cacheSettings(store, 'all', true)).toEqual({ mode: 'all', bypass: true, storeType: 'remote-thing' });

    const memory = new MemoryStepCache();
    registerStepCache('remote-thing-2', () => memory);
    expect(stepCacheFor({ type: 'remote-thing-2' } as unknown as RunLogStore)).toBe(memory);
  });

  it('config step-cache: per-step (default) or all; anything else is a config error', () => {
    expect(cacheModes.create('per-step', {}, { cwd: '.' })).toBe('per-step');
    expect(cacheModes.create('all', undefined, { cwd: '.' })).toBe('all');
    expect(() => cacheModes.create('sometimes', {}, { cwd: '.' })).toThrow(RunnableError);
    expect(() => cacheModes.create('all', { ttl: 3 }, { cwd: '.' })).toThrow(/unknown field\(s\) 'ttl'/);
  });
});

describe('miss reasons', () => {
  const before = entry(K1, 'train', 'run-7');

  it('no earlier run', () => {
    expect(whatChanged(inputs(), undefined)).toBe('no earlier run');
  });

  it('names each changed input', () => {
    expect(whatChanged(inputs({ params: { n: sha256('2') } }), before)).toBe("parameter 'n' changed");
    expect(whatChanged(inputs({ params: { n: sha256('1'), m: sha256('1') } }), before)).toBe("parameter 'm' is new");
    expect(whatChanged(inputs({ params: {} }), before)).toBe("parameter 'n' is gone");
    expect(whatChanged(inputs({ files: { 'data/x.csv': sha256('y') } }), before)).toBe('input file data/x.csv changed');
    expect(whatChanged(inputs({ files: {} }), before)).toBe('input file data/x.csv is gone');
    expect(whatChanged(inputs({ source: sha256('other') }), before)).toBe('function source changed');
    expect(whatChanged(inputs({ command: sha256('steps.ts:g'), source: sha256('other') }), before)).toBe('command changed');
    expect(whatChanged(inputs({ kind: 'shell' }), before)).toBe('command_type changed (typescript -> shell)');
    expect(whatChanged(inputs({ outputs: sha256('x') }), before)).toBe('returns or catalog put changed');
    expect(whatChanged(inputs({ source: '', params: { n: sha256('2') }, files: { 'data/x.csv': sha256('y') } }), before)).toBe(
      "function source changed; parameter 'n' changed; input file data/x.csv changed",
    );
    expect(whatChanged(inputs(), before)).toBe('cache entry of run run-7 is missing');
  });

  it('names the code of each kind', () => {
    const of = (kind: CacheInputs['kind']) =>
      whatChanged(inputs({ kind, source: 'b' }), entry(K1, 's', 'r', { inputs: inputs({ kind, source: 'a' }) }));
    expect([of('typescript'), of('notebook'), of('python')]).toEqual(['function source changed', 'notebook file changed', 'python module changed']);
  });

  it('parameter values hash by content, whatever the key order', () => {
    expect(stableJson({ b: 1, a: [{ y: 2, x: 1 }] })).toBe('{"a":[{"x":1,"y":2}],"b":1}');
    expect(stableJson(undefined)).toBe('null');
  });
});
