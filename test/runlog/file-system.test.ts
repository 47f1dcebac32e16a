/** What only the file-system store promises: the SPEC's single file, its journal, crashes. */
import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunnableError } from '../../src/errors.js';
import { assemble, disassemble, FileSystemRunLogStore, runLogStores } from '../../src/runlog/index.js';
import type { NewRecord, RunLog, RunLogStore } from '../../src/runlog/types.js';
import { runChild, runlogIndexUrl, writeChild } from './_child.js';
import { executionOrder, header, nestedRunLog, step } from './_fixture.js';

const stepRecord = (name: string, message = ''): NewRecord => {
  const { branches: _, ...data } = step(name);
  return { kind: 'step', key: name, parent: '', data: { ...data, message } };
};

describe('file-system run-log store', () => {
  let cwd: string;
  let folder: string;
  const make = (config: Record<string, unknown> = {}): RunLogStore => runLogStores.create('file-system', config, { cwd });
  const jsonFile = (runId: string) => join(folder, `${runId}.json`);
  const journal = (runId: string) => join(folder, `${runId}.journal`);
  const readJson = (runId: string): RunLog => JSON.parse(readFileSync(jsonFile(runId), 'utf8')) as RunLog;

  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'runlog-fs-'));
    folder = join(cwd, '.run_log_store');
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  it('writes the run log as one SPEC-shaped JSON file, <log_folder>/<run_id>.json, on flush', async () => {
    const store = make();
    const expected = nestedRunLog('r1');
    await store.create(header('r1'));
    for (const record of executionOrder(expected)) await store.put('r1', record);
    await store.flush('r1');
    expect(store.location('r1')).toBe(jsonFile('r1'));
    const onDisk = readJson('r1');
    expect(onDisk).toEqual(expected);
    expect(Object.keys(onDisk)).toEqual(['run_id', 'dag_hash', 'tag', 'status', 'steps', 'parameters', 'run_config']);
    const map = onDisk.steps.map_step!;
    expect(Object.keys(map).sort()).toEqual(
      ['attempts', 'branches', 'code_identities', 'data_catalog', 'internal_name', 'message', 'mock', 'name', 'status', 'step_type'].sort(),
    );
    expect(Object.keys(map.branches['map_step.a']!).sort()).toEqual(['internal_name', 'parameters', 'status', 'steps']);
    expect(Object.keys(onDisk.steps.first!.attempts[0]!).sort()).toEqual(
      ['attempt_number', 'end_time', 'input_parameters', 'message', 'output_parameters', 'start_time', 'status', 'user_defined_metrics'].sort(),
    );
    // everything is in the file: the journal is empty, and no temp file is left
    expect(statSync(journal('r1')).size).toBe(0);
    expect(readdirSync(folder).sort()).toEqual(['r1.journal', 'r1.json']);
  });

  it('has the file from create on, and takes log_folder relative to the working directory', async () => {
    const store = make({ log_folder: 'logs/runs' });
    await store.create(header('r1'));
    folder = join(cwd, 'logs/runs');
    expect(readJson('r1')).toEqual({ ...header('r1'), steps: {}, parameters: {} });
  });

  it('rejects unknown config fields (E_CONFIG)', () => {
    const error = (config: Record<string, unknown>): RunnableError => {
      try {
        make(config);
      } catch (e) {
        return e as RunnableError;
      }
      throw new Error('no error');
    };
    expect(error({ log_folder: 'x', folder: 'y' })).toMatchObject({ code: 'E_CONFIG', message: expect.stringMatching(/'folder'/) });
    expect(error({ log_folder: 3 })).toMatchObject({ code: 'E_CONFIG', where: { field: 'run-log-store.config.log_folder' } });
    expect(() => runLogStores.create('buffered', { log_folder: 'x' }, { cwd })).toThrow(RunnableError);
  });

  it('appends puts to the journal and materialises at most every 2 s (time-throttled)', async () => {
    const store = make();
    await store.create(header('r1'));
    await store.put('r1', stepRecord('a'));
    expect(readJson('r1').steps).toEqual({}); // not yet in the file...
    expect(readFileSync(journal('r1'), 'utf8').trim().split('\n')).toHaveLength(1); // ...but in the journal
    // with no throttle, every put materialises
    const eager = new FileSystemRunLogStore({ logFolder: folder, materialiseEveryMs: 0 });
    await eager.put('r1', stepRecord('b'));
    expect(Object.keys(readJson('r1').steps)).toEqual(['a', 'b']);
    expect(statSync(journal('r1')).size).toBe(0);
  });

  it('reads a run whose writer never flushed (dropped instance) from file + journal', async () => {
    const expected = nestedRunLog('r1');
    const writer = make();
    await writer.create(header('r1'));
    for (const record of executionOrder(expected)) await writer.put('r1', record);
    // no flush: the writer is simply dropped, as a crashed process would be
    const reader = make();
    expect(await reader.runs()).toEqual(['r1']);
    expect(assemble(await reader.list('r1'))).toEqual(expected);
    await reader.flush('r1'); // and anyone can materialise it
    expect(readJson('r1')).toEqual(expected);
  });

  it('reads a run whose writer was killed (SIGKILL) mid-run', async () => {
    const child = writeChild(
      cwd,
      'killed',
      `
      import { runLogStores } from ${JSON.stringify(runlogIndexUrl)};
      const store = runLogStores.create('file-system', {}, { cwd: process.argv[2] });
      await store.create({ run_id: 'r1', dag_hash: '', tag: '', status: 'PROCESSING', run_config: {} });
      for (let i = 0; i < 500; i++) {
        const data = { name: 's' + i, internal_name: 's' + i, status: 'SUCCESS', step_type: 'task', message: '', mock: false,
          code_identities: [], attempts: [], data_catalog: [] };
        await store.put('r1', { kind: 'step', key: 's' + i, parent: '', data });
      }
      process.kill(process.pid, 'SIGKILL');
      `,
    );
    const result = await runChild(child, [cwd]);
    expect(result.signal).toBe('SIGKILL');
    const log = assemble(await make().list('r1'));
    expect(Object.keys(log.steps)).toEqual(Array.from({ length: 500 }, (_, i) => `s${i}`));
  });

  it('skips a torn last journal line, and a later writer does not glue its record onto it', async () => {
    const writer = make();
    await writer.create(header('r1'));
    await writer.put('r1', stepRecord('a'));
    await writer.put('r1', stepRecord('b'));
    appendFileSync(journal('r1'), '{"kind":"step","key":"c","parent":"","seq":9,"data":{"na'); // killed mid-line
    const reader = make();
    expect(Object.keys(assemble(await reader.list('r1')).steps)).toEqual(['a', 'b']);
    await reader.put('r1', stepRecord('d'));
    expect(Object.keys(assemble(await make().list('r1')).steps)).toEqual(['a', 'b', 'd']);
    await reader.flush('r1');
    expect(Object.keys(readJson('r1').steps)).toEqual(['a', 'b', 'd']);
  });

  it('replays harmlessly a journal that a crash left behind after the file was written', async () => {
    const writer = make();
    await writer.create(header('r1'));
    await writer.put('r1', stepRecord('a'));
    await writer.put('r1', stepRecord('b', 'final'));
    const lines = readFileSync(journal('r1'), 'utf8');
    await writer.flush('r1');
    writeFileSync(journal('r1'), lines); // as if killed between the rename and the truncation
    const log = assemble(await make().list('r1'));
    expect(Object.keys(log.steps)).toEqual(['a', 'b']);
    expect(log.steps.b!.message).toBe('final');
  });

  it('notices another writer between its own writes and keeps both (writers taking turns)', async () => {
    const first = make();
    await first.create(header('r1'));
    await first.put('r1', stepRecord('a'));
    const second = make(); // another process, e.g. a step run by the emulate executor
    await second.put('r1', stepRecord('b'));
    await second.flush('r1');
    await first.put('r1', stepRecord('c'));
    expect(Object.keys(assemble(await first.list('r1')).steps)).toEqual(['a', 'b', 'c']);
    await first.flush('r1');
    expect(Object.keys(readJson('r1').steps)).toEqual(['a', 'b', 'c']);
    // and the other way round, with the journal only
    await second.put('r1', stepRecord('d'));
    await first.put('r1', stepRecord('a', 'again'));
    const log = assemble(await second.list('r1'));
    expect(Object.keys(log.steps)).toEqual(['a', 'b', 'c', 'd']);
    expect(log.steps.a!.message).toBe('again');
  });

  it('refuses a run id whose journal exists without its file, or whose file exists without a journal', async () => {
    const store = make();
    await store.create(header('r1'));
    rmSync(jsonFile('r1'));
    await expect(make().create(header('r1'))).rejects.toMatchObject({ code: 'E_RUN_ID' });
    writeFileSync(jsonFile('r2'), JSON.stringify({ ...header('r2'), steps: {}, parameters: {} }));
    await expect(make().create(header('r2'))).rejects.toMatchObject({ code: 'E_RUN_ID' });
    expect((await make().list('r2')).map((r) => r.kind)).toEqual(['run', 'params']);
  });

  it('lists each run once, from its file and its journal', async () => {
    const store = make();
    await store.create(header('r1'));
    await store.put('r1', stepRecord('a'));
    writeFileSync(journal('r2'), JSON.stringify({ kind: 'run', key: '', parent: '', seq: 0, data: header('r2') }) + '\n');
    writeFileSync(join(folder, '.r3.json.123.1.tmp'), '{}');
    expect((await make().runs()).sort()).toEqual(['r1', 'r2']);
    expect(existsSync(jsonFile('r2'))).toBe(false);
    expect(assemble(await make().list('r2')).run_id).toBe('r2');
  });

  it('reports a hand-broken run log file as E_FILE', async () => {
    const store = make();
    await store.create(header('r1'));
    writeFileSync(jsonFile('r1'), '{ not json');
    await expect(make().list('r1')).rejects.toMatchObject({ code: 'E_FILE' });
  });

  it('round-trips what disassemble gives', async () => {
    const store = make();
    const log = nestedRunLog('r1');
    await store.create(header('r1'));
    for (const record of disassemble(log)) await store.put('r1', record);
    await store.flush('r1');
    expect(readJson('r1')).toEqual(log);
  });
});
