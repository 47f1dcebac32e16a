import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSystemCatalog } from '../../src/catalog/file-system.js';
import { DoNothingCatalog } from '../../src/catalog/do-nothing.js';
import { loadObject, objectPath, saveObject } from '../../src/params/objects.js';

let cwd: string;
let cat: FileSystemCatalog;
const RUN = 'run-1';
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'rts-obj-'));
  cat = new FileSystemCatalog(join(cwd, '.catalog'));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe('object parameters', () => {
  it('round-trips Map, Set, Date, typed arrays and nested values', async () => {
    const value = {
      when: new Date('2024-05-01T12:00:00Z'),
      lookup: new Map<string, unknown>([['a', 1], ['b', { deep: [1, 2, new Set(['x'])] }]]),
      bytes: new Float64Array([1.5, -2]),
      big: 10n ** 20n,
      nested: { list: [null, undefined, 'text'] },
    };
    const ref = await saveObject({ catalog: cat, runId: RUN }, 'model', '', value);
    expect(ref).toBe('.objects/_root/model.v8');
    expect(await cat.list(RUN)).toEqual([ref]);
    const back = (await loadObject({ catalog: cat, runId: RUN }, ref)) as typeof value;
    expect(back).toEqual(value);
    expect(back.when).toBeInstanceOf(Date);
    expect(back.lookup).toBeInstanceOf(Map);
    expect(back.bytes).toBeInstanceOf(Float64Array);
  });

  it('stores one file per parameter and resolved branch, with safe names', async () => {
    expect(objectPath('m', 'fan.3.work')).toBe('.objects/fan.3.work/m.v8');
    const refs = await Promise.all([
      saveObject({ catalog: cat, runId: RUN }, 'm', 'map.a/b', 1),
      saveObject({ catalog: cat, runId: RUN }, 'm', 'map.a%2Fb', 2),
      saveObject({ catalog: cat, runId: RUN }, 'm', '..', 3),
      saveObject({ catalog: cat, runId: RUN }, 'm', 'par.branch one', 4),
      saveObject({ catalog: cat, runId: RUN }, 'm', `deep.${'x'.repeat(400)}`, 5),
    ]);
    expect(new Set(refs).size).toBe(5);
    for (const ref of refs) {
      const [, branch] = ref.split('/');
      expect(ref.split('/')).toHaveLength(3);
      expect(branch!.startsWith('.')).toBe(false);
      expect(branch!.length).toBeLessThanOrEqual(120);
    }
    expect(await Promise.all(refs.map((r) => loadObject({ catalog: cat, runId: RUN }, r)))).toEqual([1, 2, 3, 4, 5]);
  });

  it('a value v8 cannot serialise is an error naming the parameter', async () => {
    await expect(saveObject({ catalog: cat, runId: RUN }, 'callback', '', { f: () => 1 })).rejects.toThrow(/parameter 'callback' \(kind object\) cannot be serialised/);
  });

  it('the do-nothing catalog cannot give objects back', async () => {
    const none = new DoNothingCatalog();
    const ref = await saveObject({ catalog: none, runId: RUN }, 'x', '', 1);
    await expect(loadObject({ catalog: none, runId: RUN }, ref)).rejects.toThrow(/do-nothing catalog keeps no files/);
  });
});
