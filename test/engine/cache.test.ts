/**
 * Step caching, end to end through the built CLI: a task with `cache: true` whose code identity,
 * input parameters and `get` files match an earlier successful attempt in the same run-log store
 * is not run; its outputs (parameters, objects, metrics, `put` files) are restored, and every
 * attempt of a cached step records `cache: {status, key, reason?, source_run?}`.
 *
 * Every step appends its name to `ran.txt` when it really runs, so the tests count executions,
 * not attempts. Each run is a fresh process, so an edited module is loaded again.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AttemptCache, RunLog, StepLog } from '../../src/runlog/types.js';
import { allSteps, catalogFiles, cli, readCatalog, step, values, workdir, type CliResult } from './_helpers.js';

// ---------------------------------------------------------------------------------------------
// helpers

/** Each test runs the CLI several times; a loaded machine (parallel test suites) must not fail it. */
const CLI_TIMEOUT = 120_000;
const SLOW = { timeout: 600_000 };

interface Outcome extends CliResult {
  runId: string;
  status: string;
  log: RunLog;
}

async function execute(cwd: string, args: string[] = []): Promise<Outcome> {
  return outcome(await cli(['execute', 'pipeline.yaml', '--json', ...args], cwd, {}, CLI_TIMEOUT));
}

function outcome(r: CliResult): Outcome {
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  let json: { run_id: string; status: string; run_log: RunLog };
  try {
    json = JSON.parse(last) as typeof json;
  } catch {
    throw new Error(`no --json summary (exit ${r.code})\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  }
  return { ...r, runId: json.run_id, status: json.status, log: json.run_log };
}

async function retry(cwd: string, runId: string, args: string[] = []): Promise<Outcome> {
  return outcome(await cli(['retry', runId, '--json', ...args], cwd, {}, CLI_TIMEOUT));
}

/** What ran since the last call: the lines steps appended to ran.txt. */
function ranSince(cwd: string): () => string[] {
  let seen = 0;
  return () => {
    const file = join(cwd, 'ran.txt');
    const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    const fresh = lines.slice(seen);
    seen = lines.length;
    return fresh;
  };
}

const lastAttempt = (s: StepLog) => s.attempts.at(-1)!;
const cacheOf = (log: RunLog, name: string): AttemptCache | undefined => lastAttempt(step(log, name)).cache;

/** `step -> 'hit' | 'miss: reason'` of every task step with caching on. */
function outcomes(log: RunLog): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of allSteps(log)) {
    const c = s.step_type === 'task' ? lastAttempt(s).cache : undefined;
    if (c) out[s.internal_name] = c.status === 'hit' ? 'hit' : `miss: ${c.reason}`;
  }
  return out;
}

/** The run's catalog files (task logs left out) with their bytes. */
function catalogContent(cwd: string, runId: string): Record<string, string> {
  return Object.fromEntries(
    catalogFiles(cwd, runId)
      .filter((f) => !f.startsWith('.logs/'))
      .map((f) => [f, readFileSync(join(cwd, '.catalog', runId, f)).toString('base64')]),
  );
}

const setParams = (cwd: string, n: number, m: number) => writeFileSync(join(cwd, 'parameters.yaml'), `n: ${n}\nm: ${m}\n`);

// ---------------------------------------------------------------------------------------------
// the main pipeline: TS steps binding some parameters, an object, a metric, a shell step that
// sees every parameter, and catalog put/get

const STEPS_TS = `
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
const ran = (name: string) => appendFileSync('ran.txt', name + '\\n');

export function make(n: number) {
  ran('make');
  const rows = Array.from({ length: n }, (_, i) => i + 1);
  mkdirSync('out', { recursive: true });
  writeFileSync('out/rows.csv', rows.join('\\n') + '\\n');
  return rows;
}

export function scale(m: number) {
  ran('scale');
  return m * 10;
}

export function fit(rows: number[]) {
  ran('fit');
  return new Map<string, unknown>([['sum', rows.reduce((a, b) => a + b, 0)], ['at', new Date(0)]]);
}

export function score(model: Map<string, unknown>, factor: number) {
  ran('score');
  if (!(model instanceof Map) || !((model.get('at')) instanceof Date)) throw new Error('model did not round-trip');
  return (model.get('sum') as number) * factor;
}
`;

const MAIN_YAML = `
dag:
  start_at: make
  steps:
    make:
      type: task
      command: steps.ts:make
      returns: [rows]
      catalog: {put: [out/rows.csv]}
      cache: true
      next: scale
    scale:
      type: task
      command: steps.ts:scale
      returns: [factor]
      cache: true
      next: fit
    fit:
      type: task
      command: steps.ts:fit
      returns: [{name: model, kind: object}]
      cache: true
      next: count
    count:
      type: task
      command_type: shell
      command: echo count >> ran.txt; export lines=$(wc -l < out/rows.csv | tr -d ' ')
      catalog: {get: [out/rows.csv]}
      returns: [lines]
      cache: true
      next: score
    score:
      type: task
      command: steps.ts:score
      returns: [{name: score, kind: metric}]
      cache: true
      next: success
`;

function mainDir(): { cwd: string; ran: () => string[] } {
  const cwd = workdir({ 'pipeline.yaml': MAIN_YAML, 'steps.ts': STEPS_TS });
  setParams(cwd, 3, 2);
  return { cwd, ran: ranSince(cwd) };
}

const mainArgs = ['-p', 'parameters.yaml'];

describe('step caching', SLOW, () => {
  it('a second run is all hits: nothing executes, parameters, metrics, objects and catalog are those of the first run', async () => {
    const { cwd, ran } = mainDir();
    const first = await execute(cwd, mainArgs);
    expect(first.status).toBe('SUCCESS');
    expect(ran()).toEqual(['make', 'scale', 'fit', 'count', 'score']);
    expect(outcomes(first.log)).toEqual({
      make: 'miss: no earlier run',
      scale: 'miss: no earlier run',
      fit: 'miss: no earlier run',
      count: 'miss: no earlier run',
      score: 'miss: no earlier run',
    });
    expect(values(first.log.parameters)).toMatchObject({ n: 3, m: 2, rows: [1, 2, 3], factor: 20, lines: 3, score: 120 });

    // the put file must come back into the working directory too
    rmSync(join(cwd, 'out'), { recursive: true });
    const second = await execute(cwd, mainArgs);
    expect(second.status).toBe('SUCCESS');
    expect(ran()).toEqual([]);
    expect(outcomes(second.log)).toEqual({ make: 'hit', scale: 'hit', fit: 'hit', count: 'hit', score: 'hit' });
    for (const name of ['make', 'scale', 'fit', 'count', 'score']) {
      const s = step(second.log, name);
      expect(s.status).toBe('SUCCESS');
      expect(s.attempts).toHaveLength(1);
      expect(s.attempts[0]!.message).toBe(`cache hit: run ${first.runId} step ${name}`);
      expect(s.attempts[0]!.cache).toEqual({ status: 'hit', key: cacheOf(first.log, name)!.key, source_run: first.runId });
      expect(s.attempts[0]!.output_parameters).toEqual(lastAttempt(step(first.log, name)).output_parameters);
    }
    expect(second.log.parameters).toEqual(first.log.parameters);
    expect(step(second.log, 'score').attempts[0]!.user_defined_metrics).toEqual({ score: { kind: 'metric', value: 120 } });
    // input parameters: TS steps the ones they bind; shell every one it can see (objects are not passed to scripts)
    expect(Object.keys(step(second.log, 'score').attempts[0]!.input_parameters)).toEqual(['factor', 'model']);
    expect(Object.keys(step(second.log, 'count').attempts[0]!.input_parameters)).toEqual(['factor', 'm', 'n', 'rows']);

    expect(catalogContent(cwd, second.runId)).toEqual(catalogContent(cwd, first.runId));
    expect(Object.keys(catalogContent(cwd, second.runId))).toEqual(['.objects/_root/model.v8', 'out/rows.csv']);
    expect(readFileSync(join(cwd, 'out/rows.csv'), 'utf8')).toBe('1\n2\n3\n');
    expect(step(second.log, 'make').data_catalog).toEqual([
      expect.objectContaining({ name: 'out/rows.csv', stage: 'put', catalog_relative_path: `${second.runId}/out/rows.csv`, data_hash: step(first.log, 'make').data_catalog[0]!.data_hash }),
    ]);
    // the index lives beside the run logs, not in them
    expect(existsSync(join(cwd, '.run_log_store', '.cache', 'keys'))).toBe(true);
  });

  it('a changed parameter: exactly the steps that receive it, or an output it changed, miss, naming it', async () => {
    const { cwd, ran } = mainDir();
    await execute(cwd, mainArgs);
    ran();

    setParams(cwd, 3, 5); // m: only `scale` binds it; the shell step sees every parameter
    const r = await execute(cwd, mainArgs);
    expect(r.status).toBe('SUCCESS');
    expect(ran()).toEqual(['scale', 'count', 'score']);
    expect(outcomes(r.log)).toEqual({
      make: 'hit',
      scale: "miss: parameter 'm' changed",
      fit: 'hit',
      count: "miss: parameter 'factor' changed; parameter 'm' changed",
      score: "miss: parameter 'factor' changed",
    });
    expect(values(r.log.parameters)).toMatchObject({ factor: 50, score: 300 });

    setParams(cwd, 4, 5); // n: make, and through rows/out/rows.csv/model everything downstream but scale
    const r2 = await execute(cwd, mainArgs);
    expect(ran()).toEqual(['make', 'fit', 'count', 'score']);
    expect(outcomes(r2.log)).toEqual({
      make: "miss: parameter 'n' changed",
      scale: 'hit',
      fit: "miss: parameter 'rows' changed",
      count: "miss: parameter 'n' changed; parameter 'rows' changed; input file out/rows.csv changed",
      score: "miss: parameter 'model' changed",
    });

    // back to the first parameters: everything was cached before, under those keys
    setParams(cwd, 3, 2);
    const r3 = await execute(cwd, mainArgs);
    expect(ran()).toEqual([]);
    expect(Object.values(outcomes(r3.log))).toEqual(['hit', 'hit', 'hit', 'hit', 'hit']);
    expect(values(r3.log.parameters)).toMatchObject({ factor: 20, score: 120, rows: [1, 2, 3] });
  });

  it("a changed function's source: that step misses, the other functions of the module hit", async () => {
    const { cwd, ran } = mainDir();
    const first = await execute(cwd, mainArgs);
    ran();
    // same result, different code
    writeFileSync(join(cwd, 'steps.ts'), STEPS_TS.replace('return m * 10;', 'return m * 5 + m * 5;'));
    const r = await execute(cwd, mainArgs);
    expect(r.status).toBe('SUCCESS');
    expect(ran()).toEqual(['scale']);
    expect(outcomes(r.log)).toEqual({ make: 'hit', scale: 'miss: function source changed', fit: 'hit', count: 'hit', score: 'hit' });
    expect(r.log.parameters).toEqual(first.log.parameters);
  });

  it('--no-cache runs every step, records why, and refreshes the cache', async () => {
    const { cwd, ran } = mainDir();
    await execute(cwd, mainArgs);
    ran();
    const bypassed = await execute(cwd, [...mainArgs, '--no-cache']);
    expect(bypassed.status).toBe('SUCCESS');
    expect(ran()).toEqual(['make', 'scale', 'fit', 'count', 'score']);
    expect(new Set(Object.values(outcomes(bypassed.log)))).toEqual(new Set(['miss: disabled by --no-cache']));
    expect(bypassed.log.run_config['no_cache']).toBe(true);
    expect(cacheOf(bypassed.log, 'make')!.key).toMatch(/^[0-9a-f]{64}$/);

    const after = await execute(cwd, mainArgs);
    expect(ran()).toEqual([]);
    expect(cacheOf(after.log, 'score')).toMatchObject({ status: 'hit', source_run: bypassed.runId });
    expect(after.log.run_config['no_cache']).toBeUndefined();
  });

  it('cached outputs that are gone from the catalog are a miss saying so, and the step runs', async () => {
    const { cwd, ran } = mainDir();
    const first = await execute(cwd, mainArgs);
    ran();
    rmSync(join(cwd, '.catalog', first.runId), { recursive: true });
    const r = await execute(cwd, mainArgs);
    expect(r.status).toBe('SUCCESS');
    // make and fit restore files; the others only parameters
    expect(ran()).toEqual(['make', 'fit']);
    expect(cacheOf(r.log, 'make')!.reason).toBe(`cached result of run ${first.runId} cannot be restored: file out/rows.csv is gone from or changed in its catalog`);
    expect(cacheOf(r.log, 'fit')!.reason).toBe(`cached result of run ${first.runId} cannot be restored: object '.objects/_root/model.v8' is gone from its catalog`);
    expect(outcomes(r.log)).toMatchObject({ scale: 'hit', count: 'hit', score: 'hit' });
  });
});

describe('step caching: inputs from the catalog', SLOW, () => {
  const YAML = `
dag:
  start_at: ingest
  steps:
    ingest:
      type: task
      command_type: shell
      command: echo ingest >> ran.txt; mkdir -p data && cp raw.csv data/x.csv
      catalog: {put: [data/x.csv]}
      next: process
    process:
      type: task
      command: steps.ts:process
      catalog: {get: [data/x.csv]}
      returns: [count]
      cache: true
      next: report
    report:
      type: task
      command: steps.ts:report
      returns: [summary]
      cache: true
      next: other
    other:
      type: task
      command: steps.ts:other
      returns: [constant]
      cache: true
      next: success
`;
  const TS = `
import { appendFileSync, readFileSync } from 'node:fs';
const ran = (name: string) => appendFileSync('ran.txt', name + '\\n');
export function process() { ran('process'); return readFileSync('data/x.csv', 'utf8').trim().split('\\n').length; }
export function report(count: number) { ran('report'); return \`\${count} rows\`; }
export function other() { ran('other'); return 42; }
`;

  it('a changed get file: that step misses naming the file; a downstream step whose inputs did not change hits', async () => {
    const cwd = workdir({ 'pipeline.yaml': YAML, 'steps.ts': TS, 'raw.csv': 'a\nb\n' });
    const ran = ranSince(cwd);
    await execute(cwd);
    expect(ran()).toEqual(['ingest', 'process', 'report', 'other']);

    const same = await execute(cwd);
    expect(ran()).toEqual(['ingest']); // not cached
    expect(outcomes(same.log)).toEqual({ process: 'hit', report: 'hit', other: 'hit' });

    writeFileSync(join(cwd, 'raw.csv'), 'c\nd\n'); // same number of rows
    const changed = await execute(cwd);
    expect(ran()).toEqual(['ingest', 'process']);
    expect(outcomes(changed.log)).toEqual({ process: 'miss: input file data/x.csv changed', report: 'hit', other: 'hit' });
    expect(lastAttempt(step(changed.log, 'process')).cache!.key).not.toBe(lastAttempt(step(same.log, 'process')).cache!.key);
  });
});

describe('step caching: failures', SLOW, () => {
  const YAML = `
dag:
  start_at: flaky
  steps:
    flaky:
      type: task
      command: steps.ts:flaky
      returns: [value]
      max_attempts: 2
      cache: true
      next: success
`;
  const TS = `
import { appendFileSync, existsSync, rmSync } from 'node:fs';
export function flaky() {
  appendFileSync('ran.txt', 'flaky\\n');
  if (existsSync('fail-always')) throw new Error('failing on purpose');
  if (existsSync('fail-once')) { rmSync('fail-once'); throw new Error('failing once'); }
  return 7;
}
`;

  it('a failed attempt is never cached; the successful attempt after it is', async () => {
    const cwd = workdir({ 'pipeline.yaml': YAML, 'steps.ts': TS, 'fail-always': '' });
    const ran = ranSince(cwd);
    const failed = await execute(cwd);
    expect(failed.status).toBe('FAIL');
    expect(ran()).toEqual(['flaky', 'flaky']);
    expect(step(failed.log, 'flaky').attempts.map((a) => [a.status, a.cache?.status, a.cache?.reason])).toEqual([
      ['FAIL', 'miss', 'no earlier run'],
      ['FAIL', 'miss', 'no earlier run'],
    ]);

    rmSync(join(cwd, 'fail-always'));
    writeFileSync(join(cwd, 'fail-once'), '');
    const recovered = await execute(cwd);
    expect(recovered.status).toBe('SUCCESS');
    expect(ran()).toEqual(['flaky', 'flaky']); // nothing was cached from the failed run
    expect(step(recovered.log, 'flaky').attempts.map((a) => [a.status, a.cache?.reason])).toEqual([
      ['FAIL', 'no earlier run'],
      ['SUCCESS', 'no earlier run'],
    ]);

    const cached = await execute(cwd);
    expect(ran()).toEqual([]);
    expect(step(cached.log, 'flaky').attempts).toHaveLength(1);
    expect(cacheOf(cached.log, 'flaky')).toMatchObject({ status: 'hit', source_run: recovered.runId });
    expect(values(cached.log.parameters)).toEqual({ value: 7 });
  });

  it('retry: a failed step may hit a result cached by another run; retry --no-cache runs it', async () => {
    const cwd = workdir({ 'pipeline.yaml': YAML, 'steps.ts': TS });
    const ran = ranSince(cwd);
    const good = await execute(cwd);
    expect(good.status).toBe('SUCCESS');
    writeFileSync(join(cwd, 'fail-always'), '');
    const failed = await execute(cwd, ['--no-cache']); // forced to run, so it fails
    expect(failed.status).toBe('FAIL');
    ran();

    const retried = await retry(cwd, failed.runId, ['--no-cache']);
    expect(retried.status).toBe('FAIL');
    expect(ran()).toEqual(['flaky', 'flaky']);
    expect(retried.log.run_config['no_cache']).toBe(true);
    expect(step(retried.log, 'flaky').attempts.map((a) => a.cache?.reason)).toEqual(Array(4).fill('disabled by --no-cache'));

    const healed = await retry(cwd, failed.runId); // the marker is not an input: the cached result of the good run applies
    expect(healed.status).toBe('SUCCESS');
    expect(ran()).toEqual([]);
    expect(healed.log.run_config['no_cache']).toBeUndefined();
    const attempts = step(healed.log, 'flaky').attempts;
    expect(attempts.map((a) => a.status)).toEqual(['FAIL', 'FAIL', 'FAIL', 'FAIL', 'SUCCESS']);
    expect(attempts.at(-1)).toMatchObject({ attempt_number: 5, message: `cache hit: run ${good.runId} step flaky`, cache: { status: 'hit', source_run: good.runId } });
    expect(values(healed.log.parameters)).toEqual({ value: 7 });
  });
});

describe('step caching: config, opting out, map iterations, chunked-fs', SLOW, () => {
  const TS = `
import { appendFileSync } from 'node:fs';
const ran = (name: string) => appendFileSync('ran.txt', name + '\\n');
export function items() { ran('items'); return JSON.parse(process.env.ITEMS ?? '["a","b"]'); }
export function double(item: string) { ran('double ' + item); return item + item; }
export function stamp() { ran('stamp'); return 1; }
`;
  const YAML = `
dag:
  start_at: items
  steps:
    items:
      type: task
      command: steps.ts:items
      returns: [list]
      cache: false
      next: each
    each:
      type: map
      iterate_on: list
      iterate_as: item
      branch:
        start_at: double
        steps:
          double:
            type: task
            command: steps.ts:double
            returns: [twice]
            next: success
      next: stamp
    stamp:
      type: task
      command: steps.ts:stamp
      returns: [stamped]
      next: success
`;

  it('step-cache: {type: all} caches every task but those saying cache: false; map iterations are cached one by one', async () => {
    const cwd = workdir({ 'pipeline.yaml': YAML, 'steps.ts': TS, 'runnable-config.yaml': 'step-cache:\n  type: all\n' });
    const ran = ranSince(cwd);
    const first = await execute(cwd);
    expect(first.status).toBe('SUCCESS');
    expect(ran()).toEqual(['items', 'double a', 'double b', 'stamp']);
    expect(first.log.run_config['step-cache']).toEqual({ type: 'all', config: {} });

    // a new item: only its iteration runs (and the step that is never cached)
    const env = { ITEMS: '["a","b","c"]' };
    const r = await cli(['execute', 'pipeline.yaml', '--json'], cwd, env, CLI_TIMEOUT);
    const log = (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { run_log: RunLog }).run_log;
    expect(ran()).toEqual(['items', 'double c']);
    expect(outcomes(log)).toEqual({
      'each.a.double': 'hit',
      'each.b.double': 'hit',
      'each.c.double': 'miss: no earlier run',
      stamp: 'hit',
    });
    expect(lastAttempt(step(log, 'items')).cache).toBeUndefined();
    expect(values(log.parameters)).toMatchObject({ twice: ['aa', 'bb', 'cc'], stamped: 1 });
  });

  it('without the config, only steps saying cache: true are cached; an unknown step-cache type is bad input', async () => {
    const cwd = workdir({ 'pipeline.yaml': YAML, 'steps.ts': TS });
    await execute(cwd);
    const second = await execute(cwd);
    expect(outcomes(second.log)).toEqual({});
    expect(second.log.run_config['step-cache']).toEqual({ type: 'per-step', config: {} });

    writeFileSync(join(cwd, 'runnable-config.yaml'), 'step-cache:\n  type: sometimes\n');
    const bad = await cli(['execute', 'pipeline.yaml'], cwd, {}, CLI_TIMEOUT);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown type 'sometimes'; known types: per-step, all");
  });

  it('works with the chunked-fs run-log store (index under its log folder)', async () => {
    const cwd = workdir({
      'pipeline.yaml': YAML,
      'steps.ts': TS,
      'runnable-config.yaml': 'step-cache:\n  type: all\nrun-log-store:\n  type: chunked-fs\n  config:\n    log_folder: logs\n',
    });
    const ran = ranSince(cwd);
    await execute(cwd);
    ran();
    const second = await execute(cwd);
    expect(ran()).toEqual(['items']);
    expect(Object.values(outcomes(second.log))).toEqual(['hit', 'hit', 'hit']);
    expect(existsSync(join(cwd, 'logs', '.cache', 'steps'))).toBe(true);
    // `runs list` does not take the cache folder for a run
    const list = await cli(['runs', 'list', '--json'], cwd, {}, CLI_TIMEOUT);
    expect(list.code).toBe(0);
    expect(list.stdout).not.toContain('.cache');
  });
});

describe('step caching: object parameters', SLOW, () => {
  it('a cached object parameter round-trips: a later uncached step loads the restored object', async () => {
    const TS = `
import { appendFileSync } from 'node:fs';
export function build() {
  appendFileSync('ran.txt', 'build\\n');
  return { weights: new Float64Array([0.5, 1.5]), tags: new Set(['x']), when: new Date(86400000) };
}
export function use(model: { weights: Float64Array; tags: Set<string>; when: Date }) {
  appendFileSync('ran.txt', 'use\\n');
  return \`\${model.weights.constructor.name}:\${[...model.weights].join(',')} \${[...model.tags].join()} \${model.when.toISOString()}\`;
}
`;
    const YAML = `
dag:
  start_at: build
  steps:
    build:
      type: task
      command: steps.ts:build
      returns: [{name: model, kind: object}]
      cache: true
      next: use
    use:
      type: task
      command: steps.ts:use
      returns: [described]
      next: success
`;
    const cwd = workdir({ 'pipeline.yaml': YAML, 'steps.ts': TS });
    const ran = ranSince(cwd);
    const first = await execute(cwd);
    expect(ran()).toEqual(['build', 'use']);
    const second = await execute(cwd);
    expect(second.status).toBe('SUCCESS');
    expect(ran()).toEqual(['use']);
    expect(cacheOf(second.log, 'build')).toMatchObject({ status: 'hit', source_run: first.runId });
    expect(values(second.log.parameters)).toEqual({
      model: '.objects/_root/model.v8',
      described: 'Float64Array:0.5,1.5 x 1970-01-02T00:00:00.000Z',
    });
    expect(readCatalog(cwd, second.runId, '.objects/_root/model.v8')).toBe(readCatalog(cwd, first.runId, '.objects/_root/model.v8'));
  });
});
