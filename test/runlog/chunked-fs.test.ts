/** What only the chunked-fs store promises: a folder of small record files, time-based seqs. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordFileName } from '../../src/runlog/_names.js';
import { assemble, runLogStores } from '../../src/runlog/index.js';
import type { NewRecord, RunLogStore } from '../../src/runlog/types.js';
import { header, step } from './_fixture.js';

const stepRecord = (key: string, parent = ''): NewRecord => {
  const { branches: _, ...data } = step(key);
  return { kind: 'step', key, parent, data: { ...data, name: key } };
};

describe('chunked-fs run-log store', () => {
  let cwd: string;
  let runDir: string;
  const make = (): RunLogStore => runLogStores.create('chunked-fs', {}, { cwd });

  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'runlog-chunked-'));
    runDir = join(cwd, '.run_log_store', 'r1');
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  it('keeps a run as <log_folder>/<run_id>/ with one JSON file per record', async () => {
    const store = make();
    await store.create(header('r1'));
    await store.put('r1', stepRecord('train'));
    await store.put('r1', { kind: 'branch', key: 'map.0', parent: 'train', data: { internal_name: 'map.0', status: 'SUCCESS', parameters: {} } });
    expect(store.location('r1')).toBe(runDir);
    expect(readdirSync(runDir).sort()).toEqual(['branch-map.0.json', 'params.json', 'run.json', 'step-train.json']);
    expect(JSON.parse(readFileSync(join(runDir, 'step-train.json'), 'utf8'))).toMatchObject({ kind: 'step', key: 'train', parent: '' });
  });

  it('names files safely: one flat file per key, short names, case-insensitive file systems', async () => {
    const keys = ['a/b', '../../etc/passwd', '..', 'Train', 'train', 'TRAIN', 'naïve 😀', 'x'.repeat(500), `${'x'.repeat(500)}y`, 'a%2Fb', 'a~b', 'con', ''];
    const store = make();
    await store.create(header('r1'));
    for (const key of keys) await store.put('r1', stepRecord(key));
    const names = readdirSync(runDir).filter((n) => n.startsWith('step-'));
    expect(names).toHaveLength(keys.length);
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(keys.length);
    for (const name of names) {
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(160);
      expect(name).toMatch(/^step-[a-z0-9._%~A-F-]*\.json$/);
      expect(statSync(join(runDir, name)).isFile()).toBe(true);
    }
    expect(readdirSync(join(cwd, '.run_log_store'))).toEqual(['r1']); // nothing escaped
    for (const key of keys) expect((await make().get('r1', 'step', key))?.key).toBe(key);
    expect((await make().list('r1')).filter((r) => r.kind === 'step').map((r) => r.key)).toEqual(keys);
  });

  it('encodes like encodeURIComponent, stricter, with a hash suffix for long keys', () => {
    expect(recordFileName('run', '')).toBe('run.json');
    expect(recordFileName('params', '')).toBe('params.json');
    expect(recordFileName('step', 'map_step.3.inner-step')).toBe('step-map_step.3.inner-step.json');
    expect(recordFileName('branch', 'a b/C')).toBe('branch-a%20b%2F%43.json');
    const long = recordFileName('step', 'k'.repeat(300));
    expect(long).toMatch(/^step-k{120}~[0-9a-f]{16}\.json$/);
    expect(recordFileName('step', `${'k'.repeat(300)}!`)).not.toBe(long);
  });

  it('gives time-based seqs and keeps a record seq across instances', async () => {
    const before = Date.now() * 1000;
    const store = make();
    await store.create(header('r1'));
    await store.put('r1', stepRecord('a'));
    const a = await store.get('r1', 'step', 'a');
    expect(a!.seq).toBeGreaterThanOrEqual(before);
    await make().put('r1', { ...stepRecord('a'), data: { ...stepRecord('a').data, message: 'again' } } as NewRecord);
    const again = await make().get('r1', 'step', 'a');
    expect(again?.seq).toBe(a!.seq);
    expect(again?.data).toMatchObject({ message: 'again' });
  });

  it('skips temp and stray files when listing', async () => {
    const store = make();
    await store.create(header('r1'));
    await store.put('r1', stepRecord('a'));
    writeFileSync(join(runDir, '.step-b.json.999.1.tmp'), '{"kind":"step"');
    writeFileSync(join(runDir, 'notes.txt'), 'hello');
    writeFileSync(join(runDir, 'stray.json'), '[1, 2]');
    expect((await store.list('r1')).map((r) => `${r.kind}:${r.key}`)).toEqual(['run:', 'params:', 'step:a']);
    expect(Object.keys(assemble(await store.list('r1')).steps)).toEqual(['a']);
  });

  it('lists only folders holding a run', async () => {
    const store = make();
    await store.create(header('r1'));
    rmSync(join(cwd, '.run_log_store', 'other'), { recursive: true, force: true });
    writeFileSync(join(cwd, '.run_log_store', 'r9.json'), '{}'); // a file-system store's run: not ours
    expect(await store.runs()).toEqual(['r1']);
  });
});
