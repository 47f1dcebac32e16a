/**
 * `runnable retry RUN_ID`: a failed run continues under the same run id, with the parameters it
 * has; every step whose last attempt succeeded is skipped, inside map, parallel and loop
 * branches too; the catalog of the run is reused; a retried step's attempts continue their
 * numbering. A run that cannot be retried (unknown, succeeded, still running, or whose
 * pipeline changed) is refused with exit 2, one line on stderr, and its run log untouched.
 * Also the backoff between attempts (`retry_delay_seconds`, `retry_backoff_factor`).
 *
 * Each pipeline runs through the built CLI in a fresh directory; its steps append a line to
 * `ran.txt` every time they run, so the tests count executions, not only attempts. A step is
 * made to fail by a marker file (`fail-*`) that the test removes before the retry.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RunnableError } from '../../src/errors.js';
import { retryRun } from '../../src/runner/retry.js';
import type { RunLog, StepLog } from '../../src/runlog/types.js';
import { CLI, allSteps, branch, catalogFiles, cleanEnv, cli, readCatalog, readRunLog, run as runLib, runIds, step, values, workdir, type CliResult } from './_helpers.js';

// ---------------------------------------------------------------------------------------------
// helpers

interface Outcome extends CliResult {
  runId: string;
  json: { run_id: string; status: string; run_log: RunLog };
  log: RunLog;
}

/** The `--json` summary: the last line of stdout. */
function summary(r: CliResult): Outcome['json'] {
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last) as Outcome['json'];
  } catch {
    throw new Error(`no --json summary (exit ${r.code})\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  }
}

async function execute(cwd: string, args: string[] = [], env: Record<string, string> = {}): Promise<Outcome> {
  return outcome(cwd, await cli(['execute', 'pipeline.yaml', '--json', ...args], cwd, env));
}

async function retry(cwd: string, runId: string, env: Record<string, string> = {}, args: string[] = []): Promise<Outcome> {
  return outcome(cwd, await cli(['retry', runId, '--json', ...args], cwd, env));
}

/** The run log: the default store's file, else (another store) the one in the --json summary. */
function outcome(cwd: string, r: CliResult): Outcome {
  const json = summary(r);
  const file = join(cwd, '.run_log_store', `${json.run_id}.json`);
  return { ...r, json, runId: json.run_id, log: existsSync(file) ? readRunLog(cwd, json.run_id) : json.run_log };
}

/** Lines the steps appended to ran.txt, from line `from` on. */
function ran(cwd: string, from = 0): string[] {
  const file = join(cwd, 'ran.txt');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(from) : [];
}

/** `internal name -> statuses of its attempts` of every task step. */
const taskAttempts = (log: RunLog): Record<string, string[]> =>
  Object.fromEntries(allSteps(log).filter((s) => s.step_type === 'task').map((s) => [s.internal_name, s.attempts.map((a) => a.status)]));

const statuses = (s: StepLog) => s.attempts.map((a) => a.status);
const numbers = (s: StepLog) => s.attempts.map((a) => a.attempt_number);

/** Every file of the run-log store and the catalog, with its bytes: what a refused retry must not touch. */
function snapshot(cwd: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const walk = (dir: string) => {
    if (!existsSync(join(cwd, dir))) return;
    for (const e of readdirSync(join(cwd, dir), { withFileTypes: true })) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else out[rel] = readFileSync(join(cwd, rel));
    }
  };
  walk('.run_log_store');
  walk('.catalog');
  return out;
}

/** A refusal: exit 2, nothing on stdout (not even with --json), one line on stderr. */
function expectRefused(r: CliResult, ...fragments: string[]): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^runnable: /);
  for (const f of fragments) expect(lines[0]).toContain(f);
}

/** TS step functions shared by the pipelines below; each appends what it does to ran.txt. */
const STEPS_TS = `import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
const note = (line: string) => appendFileSync('ran.txt', line + '\\n');
const attempt = () => process.env.RUNNABLE_STEP_ATTEMPT;

export function work(item: number, prepared: number): number {
  note('work ' + item + ' attempt ' + attempt());
  if (existsSync('fail-' + item)) throw new Error('item ' + item + ' is broken');
  return prepared + 1;
}
export function collect(worked: number[]): number {
  note('collect ' + JSON.stringify(worked));
  return worked.reduce((a, b) => a + b, 0);
}
export function count(counter: number, total: number): [number, boolean] {
  note('count ' + counter + ' attempt ' + attempt());
  if (existsSync('fail-' + counter)) throw new Error('iteration ' + counter + ' is broken');
  return [total + counter, counter >= 3];
}
export function after(total: number, done: boolean, counter: number): void {
  note('after total=' + total + ' done=' + done + ' counter=' + counter);
}
export function make(): { weights: number[] } {
  note('make');
  writeFileSync('data.txt', 'made once\\n');
  return { weights: [1, 2, 3] };
}
export function flaky(): void {
  note('flaky attempt ' + attempt());
  if (existsSync('fail-flag')) throw new Error('flaky failed');
}
export function use(model: { weights: number[] }): number {
  note('use');
  assert.equal(readFileSync('data.txt', 'utf8'), 'made once\\n');
  assert.deepEqual(model.weights, [1, 2, 3]);
  return model.weights.length;
}
export function fails_first_attempt(): void {
  note('fails_first_attempt attempt ' + attempt());
  if (attempt() === '1') throw new Error('first attempt fails');
}
`;

// ---------------------------------------------------------------------------------------------
describe('retry runs again only what did not succeed', () => {
  // runnable's tests/test_retries.py runs its retry examples with both run-log stores
  const STORES: Array<[string, string[]]> = [
    ['file-system', []],
    ['chunked-fs', ['-c', 'chunked.yaml']],
  ];
  it.each(STORES)('a map where 1 of 5 iterations fails: the retry runs exactly that iteration\'s failed step (%s store)', async (store, config) => {
    const cwd = workdir({
      'steps.ts': STEPS_TS,
      'params.yaml': 'items: [1, 2, 3, 4, 5]\n',
      'chunked.yaml': 'run-log-store:\n  type: chunked-fs\n',
      'fail-3': '',
      'pipeline.yaml': `dag:
  start_at: fan
  steps:
    fan:
      type: map
      iterate_on: items
      iterate_as: item
      branch:
        start_at: prep
        steps:
          prep:
            type: task
            command_type: shell
            command: 'echo "prep $item" >> ran.txt; export prepared=$((item * 10))'
            returns: [prepared]
            next: work
          work:
            type: task
            command: steps.ts:work
            returns: [worked]
            next: success
      next: collect
    collect:
      type: task
      command: steps.ts:collect
      returns: [total]
      next: success
`,
    });
    const first = await execute(cwd, ['-p', 'params.yaml', ...config]);
    expect(first.code, first.stderr).toBe(1);
    expect(first.log.status).toBe('FAIL');
    expect(existsSync(join(cwd, '.run_log_store', store === 'chunked-fs' ? first.runId : `${first.runId}.json`))).toBe(true);
    expect(ran(cwd).sort()).toEqual([1, 2, 3, 4, 5].flatMap((i) => [`prep ${i}`, `work ${i} attempt 1`]).sort());
    for (const i of [1, 2, 4, 5]) expect(branch(first.log, `fan.${i}`).status).toBe('SUCCESS');
    expect(branch(first.log, 'fan.3').status).toBe('FAIL');
    expect(step(first.log, 'fan').message).toContain('1 branch(es) failed: 3');

    rmSync(join(cwd, 'fail-3'));
    const seen = ran(cwd).length;
    const second = await retry(cwd, first.runId, {}, config);
    expect(second.code, second.stderr).toBe(0);
    expect(second.runId).toBe(first.runId);
    expect(second.json.status).toBe('SUCCESS');

    // exactly one step ran again (fan.3.work, attempt 2), then collect
    expect(ran(cwd, seen)).toEqual(['work 3 attempt 2', 'collect [11,21,31,41,51]']);
    const expected: Record<string, string[]> = { collect: ['SUCCESS'] };
    for (const i of [1, 2, 3, 4, 5]) {
      expected[`fan.${i}.prep`] = ['SUCCESS'];
      expected[`fan.${i}.work`] = i === 3 ? ['FAIL', 'SUCCESS'] : ['SUCCESS'];
    }
    expect(taskAttempts(second.log)).toEqual(expected);
    expect(numbers(step(second.log, 'fan.3.work'))).toEqual([1, 2]);
    // the iterations that had succeeded were not touched
    for (const i of [1, 2, 4, 5]) expect(branch(second.log, `fan.${i}`)).toEqual(branch(first.log, `fan.${i}`));
    expect(statuses(step(second.log, 'fan'))).toEqual(['FAIL', 'SUCCESS']);
    // the re-run step saw the parameters its iteration had (prep's return), the reducer all five
    expect(values(step(second.log, 'fan.3.work').attempts[1]!.input_parameters)).toEqual({ item: 3, prepared: 30 });
    expect(values(second.log.parameters)).toEqual({ items: [1, 2, 3, 4, 5], prepared: [10, 20, 30, 40, 50], worked: [11, 21, 31, 41, 51], total: 155 });
  });

  it('a parallel with a map inside: only the failed iteration of the failed branch runs again', async () => {
    const cwd = workdir({
      'steps.ts': STEPS_TS,
      'params.yaml': 'items: [1, 2, 3]\n',
      'fail-2': '',
      'pipeline.yaml': `dag:
  start_at: par
  steps:
    par:
      type: parallel
      branches:
        left:
          start_at: hello
          steps:
            hello: {type: task, command_type: shell, command: 'echo left >> ran.txt', next: success}
        middle:
          start_at: fan
          steps:
            fan:
              type: map
              iterate_on: items
              iterate_as: item
              branch:
                start_at: prep
                steps:
                  prep:
                    type: task
                    command_type: shell
                    command: 'echo "prep $item" >> ran.txt; export prepared=$((item * 10))'
                    returns: [prepared]
                    next: work
                  work: {type: task, command: steps.ts:work, returns: [worked], next: success}
              next: success
        right:
          start_at: hello
          steps:
            hello: {type: task, command_type: shell, command: 'echo right >> ran.txt', next: success}
      next: done
    done: {type: task, command_type: shell, command: 'echo "done $worked" >> ran.txt', next: success}
`,
    });
    const first = await execute(cwd, ['-p', 'params.yaml']);
    expect(first.code, first.stderr).toBe(1);
    expect(ran(cwd)).toHaveLength(2 + 3 * 2);
    expect(branch(first.log, 'par.left').status).toBe('SUCCESS');
    expect(branch(first.log, 'par.right').status).toBe('SUCCESS');
    expect(branch(first.log, 'par.middle').status).toBe('FAIL');
    expect(branch(first.log, 'par.middle.fan.2').status).toBe('FAIL');

    rmSync(join(cwd, 'fail-2'));
    const seen = ran(cwd).length;
    const second = await retry(cwd, first.runId);
    expect(second.code, second.stderr).toBe(0);
    expect(ran(cwd, seen)).toEqual(['work 2 attempt 2', 'done [11, 21, 31]']);
    const retried = Object.entries(taskAttempts(second.log)).filter(([, s]) => s.length > 1);
    expect(retried).toEqual([['par.middle.fan.2.work', ['FAIL', 'SUCCESS']]]);
    expect(Object.values(taskAttempts(second.log)).every((s) => s.at(-1) === 'SUCCESS')).toBe(true);
    for (const b of ['par.left', 'par.right', 'par.middle.fan.1', 'par.middle.fan.3']) expect(branch(second.log, b)).toEqual(branch(first.log, b));
  });

  it('a loop whose iteration 2 fails: the retry re-runs its failed step and the loop goes on', async () => {
    const cwd = workdir({
      'steps.ts': STEPS_TS,
      'params.yaml': 'total: 0\n',
      'fail-2': '',
      'pipeline.yaml': `dag:
  start_at: repeat
  steps:
    repeat:
      type: loop
      max_iterations: 10
      break_on: done
      index_as: counter
      branch:
        start_at: echo
        steps:
          echo:
            type: task
            command_type: shell
            command: 'echo "echo $counter" >> ran.txt'
            next: count
          count:
            type: task
            command: steps.ts:count
            returns: [total, done]
            next: success
      next: after
    after:
      type: task
      command: steps.ts:after
      next: success
`,
    });
    const first = await execute(cwd, ['-p', 'params.yaml']);
    expect(first.code, first.stderr).toBe(1);
    expect(ran(cwd)).toEqual(['echo 0', 'count 0 attempt 1', 'echo 1', 'count 1 attempt 1', 'echo 2', 'count 2 attempt 1']);
    expect(Object.keys(step(first.log, 'repeat').branches)).toEqual(['repeat.0', 'repeat.1', 'repeat.2']);
    expect(step(first.log, 'repeat').message).toContain('iteration 2 failed');

    rmSync(join(cwd, 'fail-2'));
    const second = await retry(cwd, first.runId);
    expect(second.code, second.stderr).toBe(0);
    // iteration 2: echo skipped, count attempt 2; then iteration 3 runs whole and the loop stops
    expect(ran(cwd, 6)).toEqual(['count 2 attempt 2', 'echo 3', 'count 3 attempt 1', 'after total=6 done=true counter=3']);
    expect(Object.keys(step(second.log, 'repeat').branches)).toEqual(['repeat.0', 'repeat.1', 'repeat.2', 'repeat.3']);
    const expected: Record<string, string[]> = { after: ['SUCCESS'] };
    for (const i of [0, 1, 2, 3]) {
      expected[`repeat.${i}.echo`] = ['SUCCESS'];
      expected[`repeat.${i}.count`] = i === 2 ? ['FAIL', 'SUCCESS'] : ['SUCCESS'];
    }
    expect(taskAttempts(second.log)).toEqual(expected);
    for (const i of [0, 1]) expect(branch(second.log, `repeat.${i}`)).toEqual(branch(first.log, `repeat.${i}`));
    expect(step(second.log, 'repeat.2.echo')).toEqual(step(first.log, 'repeat.2.echo'));
    // iteration 2 started from iteration 1's total (0 + 1), iteration 3 from iteration 2's
    expect(values(step(second.log, 'repeat.2.count').attempts[1]!.input_parameters)).toEqual({ counter: 2, total: 1 });
    expect(values(step(second.log, 'repeat.3.count').attempts[0]!.input_parameters)).toEqual({ counter: 3, total: 3 });
    expect(values(second.log.parameters)).toMatchObject({ total: 6, done: true, counter: 3 });
    expect(statuses(step(second.log, 'repeat'))).toEqual(['FAIL', 'SUCCESS']);
  });

  it('a loop inside a map: only the failed iteration of the failed item runs again, then its loop goes on', async () => {
    const cwd = workdir({
      'params.yaml': 'items: [a, b]\n',
      'fail-b-1': '',
      'nested.ts': `import { appendFileSync, existsSync } from 'node:fs';
export function tick(item: string, i: number): boolean {
  appendFileSync('ran.txt', item + ' ' + i + ' attempt ' + process.env.RUNNABLE_STEP_ATTEMPT + '\\n');
  if (existsSync('fail-' + item + '-' + i)) throw new Error('broken');
  return i >= 2;
}
`,
      'pipeline.yaml': `dag:
  start_at: fan
  steps:
    fan:
      type: map
      iterate_on: items
      iterate_as: item
      branch:
        start_at: repeat
        steps:
          repeat:
            type: loop
            max_iterations: 5
            break_on: done
            index_as: i
            branch:
              start_at: tick
              steps:
                tick: {type: task, command: nested.ts:tick, returns: [done], next: success}
            next: success
      next: success
`,
    });
    const first = await execute(cwd, ['-p', 'params.yaml']);
    expect(first.code, first.stderr).toBe(1);
    expect(ran(cwd)).toEqual(['a 0 attempt 1', 'a 1 attempt 1', 'a 2 attempt 1', 'b 0 attempt 1', 'b 1 attempt 1']);

    rmSync(join(cwd, 'fail-b-1'));
    const second = await retry(cwd, first.runId);
    expect(second.code, second.stderr).toBe(0);
    expect(ran(cwd, 5)).toEqual(['b 1 attempt 2', 'b 2 attempt 1']);
    expect(branch(second.log, 'fan.a')).toEqual(branch(first.log, 'fan.a'));
    expect(statuses(step(second.log, 'fan.b.repeat.1.tick'))).toEqual(['FAIL', 'SUCCESS']);
    expect(Object.keys(step(second.log, 'fan.b.repeat').branches)).toEqual(['fan.b.repeat.0', 'fan.b.repeat.1', 'fan.b.repeat.2']);
    expect(values(second.log.parameters)).toMatchObject({ done: [true, true], i: [2, 2] });
  });

  it('reuses the catalog: a file put and an object returned before the failure are there after it', async () => {
    const cwd = workdir({
      'steps.ts': STEPS_TS,
      'fail-flag': '',
      'pipeline.yaml': `dag:
  start_at: make
  steps:
    make:
      type: task
      command: steps.ts:make
      returns: [{name: model, kind: object}]
      catalog: {put: [data.txt]}
      next: flaky
    flaky:
      type: task
      command: steps.ts:flaky
      next: use
    use:
      type: task
      command: steps.ts:use
      returns: [n]
      catalog: {get: [data.txt]}
      next: success
`,
    });
    const first = await execute(cwd);
    expect(first.code, first.stderr).toBe(1);
    expect(catalogFiles(cwd, first.runId)).toContain('data.txt');
    const put = step(first.log, 'make').data_catalog.find((d) => d.name === 'data.txt' && d.stage === 'put')!;
    expect(put).toBeDefined();

    // the working copy is gone: `use` can only find data.txt in the run's catalog
    rmSync(join(cwd, 'data.txt'));
    rmSync(join(cwd, 'fail-flag'));
    const second = await retry(cwd, first.runId);
    expect(second.code, second.stderr).toBe(0);
    expect(ran(cwd)).toEqual(['make', 'flaky attempt 1', 'flaky attempt 2', 'use']);
    expect(taskAttempts(second.log)).toEqual({ make: ['SUCCESS'], flaky: ['FAIL', 'SUCCESS'], use: ['SUCCESS'] });
    const got = step(second.log, 'use').data_catalog.find((d) => d.name === 'data.txt' && d.stage === 'get');
    expect(got?.data_hash).toBe(put.data_hash);
    expect(readFileSync(join(cwd, 'data.txt'), 'utf8')).toBe('made once\n');
    expect(readCatalog(cwd, first.runId, 'data.txt')).toBe('made once\n');
    expect(values(second.log.parameters)).toMatchObject({ n: 3 });
    expect(second.log.parameters['model']).toEqual(first.log.parameters['model']);
  });

  it('a map whose iterations all succeeded but whose reducer failed: the retry runs only the fan-in', async () => {
    const cwd = workdir({
      'params.yaml': 'items: [1, 2, 3]\n',
      'reduce.ts': `export function total(values: number[]): number { throw new Error('reducer bug'); }\n`,
      'pipeline.yaml': `dag:
  start_at: fan
  steps:
    fan:
      type: map
      iterate_on: items
      iterate_as: item
      reducer: reduce.ts:total
      branch:
        start_at: work
        steps:
          work: {type: task, command_type: shell, command: 'echo "work $item" >> ran.txt; export out=$item', returns: [out], next: success}
      next: success
`,
    });
    const first = await execute(cwd, ['-p', 'params.yaml']);
    expect(first.code).toBe(1);
    expect(step(first.log, 'fan').message).toContain('reducer failed');
    for (const i of [1, 2, 3]) expect(branch(first.log, `fan.${i}`).status).toBe('SUCCESS');

    // the reducer's code is fixed; the pipeline is the same
    writeFileSync(join(cwd, 'reduce.ts'), 'export function total(values: number[]): number { return values.reduce((a, b) => a + b, 0); }\n');
    const second = await retry(cwd, first.runId);
    expect(second.code, second.stderr).toBe(0);
    expect(ran(cwd)).toEqual(['work 1', 'work 2', 'work 3']);
    for (const i of [1, 2, 3]) expect(branch(second.log, `fan.${i}`)).toEqual(branch(first.log, `fan.${i}`));
    expect(values(second.log.parameters)).toEqual({ items: [1, 2, 3], out: 6 });
  });

  it('continues attempt numbers across retries, with a fresh max_attempts budget each time', async () => {
    const cwd = workdir({
      'steps.ts': STEPS_TS,
      'fail-flag': '',
      'pipeline.yaml': `dag:
  start_at: wobbly
  steps:
    wobbly:
      type: task
      command: steps.ts:fails_first_attempt
      max_attempts: 2
      next: limited
    limited:
      type: task
      command: steps.ts:flaky
      max_attempts: 2
      next: success
`,
    });
    const first = await execute(cwd);
    expect(first.code).toBe(1);
    expect(taskAttempts(first.log)).toEqual({ wobbly: ['FAIL', 'SUCCESS'], limited: ['FAIL', 'FAIL'] });

    // a retry that fails again: `limited` gets attempts 3 and 4; wobbly, whose last attempt succeeded, is skipped
    const second = await retry(cwd, first.runId);
    expect(second.code).toBe(1);
    expect(second.json.status).toBe('FAIL');
    expect(second.log.status).toBe('FAIL');
    expect(numbers(step(second.log, 'limited'))).toEqual([1, 2, 3, 4]);
    expect(step(second.log, 'wobbly')).toEqual(step(first.log, 'wobbly'));

    rmSync(join(cwd, 'fail-flag'));
    const third = await retry(cwd, first.runId);
    expect(third.code, third.stderr).toBe(0);
    expect(taskAttempts(third.log)).toEqual({ wobbly: ['FAIL', 'SUCCESS'], limited: ['FAIL', 'FAIL', 'FAIL', 'FAIL', 'SUCCESS'] });
    expect(numbers(step(third.log, 'limited'))).toEqual([1, 2, 3, 4, 5]);
    // RUNNABLE_STEP_ATTEMPT is the attempt's number
    expect(ran(cwd)).toEqual([
      'fails_first_attempt attempt 1',
      'fails_first_attempt attempt 2',
      ...[1, 2, 3, 4, 5].map((n) => `flaky attempt ${n}`),
    ]);
    expect(third.log.run_config['retries']).toBe(2);
  });

  it('runs the fixed code: a function edited between the run and the retry is not a pipeline change', async () => {
    const broken = `export function compute(x: number): number { throw new Error('bug: forgot to double ' + x); }\n`;
    const fixed = `export function compute(x: number): number { return x * 2; }\n`;
    const cwd = workdir({
      'lib.ts': broken,
      'params.yaml': 'x: 21\n',
      'pipeline.yaml': `dag:
  start_at: prepare
  steps:
    prepare: {type: task, command_type: shell, command: 'echo prepare >> ran.txt', next: compute}
    compute: {type: task, command: lib.ts:compute, returns: [y], next: success}
`,
    });
    const first = await execute(cwd, ['-p', 'params.yaml']);
    expect(first.code).toBe(1);
    expect(step(first.log, 'compute').message).toContain('bug: forgot to double 21');

    writeFileSync(join(cwd, 'lib.ts'), fixed);
    const second = await retry(cwd, first.runId);
    expect(second.code, second.stderr).toBe(0);
    expect(values(second.log.parameters)).toEqual({ x: 21, y: 42 });
    expect(ran(cwd)).toEqual(['prepare']);
  });

  it('`runs list` shows the run FAIL after the first run and SUCCESS after the retry', async () => {
    const cwd = workdir({
      'pipeline.yaml': `dag:
  start_at: check
  steps:
    check: {type: task, command_type: shell, command: 'test "$should_pass" = true', next: success}
`,
    });
    const first = await execute(cwd);
    expect(first.code).toBe(1);
    const before = await cli(['runs', 'list'], cwd);
    expect(before.stdout).toContain(`${first.runId}\tFAIL`);

    const second = await retry(cwd, first.runId, { should_pass: 'true' });
    expect(second.code, second.stderr).toBe(0);
    const after = await cli(['runs', 'list'], cwd);
    expect(after.code).toBe(0);
    expect(after.stdout.trim()).toBe(`${first.runId}\tSUCCESS`);
    const json = await cli(['runs', 'list', '--json'], cwd);
    expect(JSON.parse(json.stdout)).toEqual([{ run_id: first.runId, status: 'SUCCESS', tag: '' }]);
  });

  it('--json prints one object {run_id, status, run_log} on stdout, as execute does', async () => {
    const cwd = workdir({
      'pipeline.yaml': `dag:
  start_at: check
  steps:
    check: {type: task, command_type: shell, command: 'echo "checking"; test "$should_pass" = true', next: success}
`,
    });
    const first = await execute(cwd);
    const second = await retry(cwd, first.runId, { should_pass: 'true' });
    expect(second.code).toBe(0);
    expect(Object.keys(second.json)).toEqual(['run_id', 'status', 'run_log']);
    expect(second.json.run_id).toBe(first.runId);
    expect(second.json.status).toBe('SUCCESS');
    expect(second.json.run_log).toEqual(second.log);
    // the JSON is the last line of stdout; progress goes to stderr
    expect(second.stderr).toContain(first.runId);
  });
});

// ---------------------------------------------------------------------------------------------
describe('retry refuses, with exit 2, one line on stderr and the run log untouched', () => {
  const FAILING = `dag:
  start_at: first
  steps:
    first: {type: task, command_type: shell, command: 'echo first >> ran.txt', next: second}
    second: {type: task, command_type: shell, command: 'echo second >> ran.txt; test "$should_pass" = true', next: success}
`;

  async function failedRun(): Promise<{ cwd: string; runId: string }> {
    const cwd = workdir({ 'pipeline.yaml': FAILING });
    const first = await execute(cwd);
    expect(first.code).toBe(1);
    return { cwd, runId: first.runId };
  }

  it('an unknown run id', async () => {
    const { cwd, runId } = await failedRun();
    const before = snapshot(cwd);
    const r = await cli(['retry', 'no-such-run', '--json'], cwd, { should_pass: 'true' });
    expectRefused(r, "unknown run id 'no-such-run'");
    expect(snapshot(cwd)).toEqual(before);
    expect(runIds(cwd)).toEqual([runId]);
  });

  it('a run that succeeded', async () => {
    const { cwd, runId } = await failedRun();
    expect((await retry(cwd, runId, { should_pass: 'true' })).code).toBe(0);
    const before = snapshot(cwd);
    const r = await cli(['retry', runId, '--json'], cwd, { should_pass: 'true' });
    expectRefused(r, runId, 'succeeded', 'nothing to retry');
    expect(snapshot(cwd)).toEqual(before);
    expect(ran(cwd)).toEqual(['first', 'second', 'second']);
  });

  const edits: Array<[string, (yaml: string) => string, string[]]> = [
    [
      'a step added',
      (y) => y.replace("test \"$should_pass\" = true', next: success}", "test \"$should_pass\" = true', next: third}\n    third: {type: stub, next: success}"),
      ['added: third'],
    ],
    ['a command changed', (y) => y.replace("'echo first >> ran.txt'", "'echo FIRST >> ran.txt'"), ['changed: first']],
    [
      'a step removed',
      (y) => y.replace('start_at: first', 'start_at: second').replace(/ {4}first: .*\n/, ''),
      ['removed: first'],
    ],
    ['a step renamed', (y) => y.replace(/\bsecond\b/g, 'check'), ['added: check', 'removed: second']],
  ];
  for (const [what, edit, fragments] of edits) {
    it(`the pipeline changed: ${what}; the message names the step`, async () => {
      const { cwd, runId } = await failedRun();
      const file = join(cwd, 'pipeline.yaml');
      writeFileSync(file, edit(readFileSync(file, 'utf8')));
      expect(readFileSync(file, 'utf8')).not.toBe(FAILING);
      const before = snapshot(cwd);
      const r = await cli(['retry', runId, '--json'], cwd, { should_pass: 'true' });
      expectRefused(r, 'pipeline changed', runId, ...fragments);
      expect(snapshot(cwd)).toEqual(before);
      expect(ran(cwd)).toEqual(['first', 'second']);
    });
  }

  it('the pipeline changed inside a branch: the message names the step in the branch', async () => {
    const pipeline = (cmd: string) => `dag:
  start_at: fan
  steps:
    fan:
      type: map
      iterate_on: items
      iterate_as: item
      branch:
        start_at: inner
        steps:
          inner: {type: task, command_type: shell, command: '${cmd}', next: success}
      next: success
`;
    const cwd = workdir({ 'params.yaml': 'items: [a, b]\n', 'pipeline.yaml': pipeline('exit 1') });
    const first = await execute(cwd, ['-p', 'params.yaml']);
    expect(first.code).toBe(1);
    writeFileSync(join(cwd, 'pipeline.yaml'), pipeline('exit 0'));
    const before = snapshot(cwd);
    const r = await cli(['retry', first.runId], cwd);
    expectRefused(r, 'pipeline changed', 'changed: fan.', '.inner');
    expect(snapshot(cwd)).toEqual(before);
  });

  it('a run whose runner is still running it; once the runner is killed, the run is INTERRUPTED and retry completes it', async () => {
    const cwd = workdir({
      'pipeline.yaml': `dag:
  start_at: first
  steps:
    first: {type: task, command_type: shell, command: 'echo first >> ran.txt', next: slow}
    slow:
      type: task
      command_type: shell
      command: 'echo slow >> ran.txt; touch started; if [ "$should_pass" != true ]; then sleep 60; fi'
      next: success
`,
    });
    // the runner, in its own process group so that killing the group also kills the sleeping shell
    const runner = spawn(process.execPath, [CLI, 'execute', 'pipeline.yaml', '--run-id', 'busy-run'], {
      cwd,
      env: cleanEnv(),
      stdio: 'ignore',
      detached: true,
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => runner.on('exit', (_code, signal) => resolve(signal)));
    try {
      await until(() => existsSync(join(cwd, 'started')), 30_000);
      const before = snapshot(cwd);
      const r = await cli(['retry', 'busy-run', '--json'], cwd, { should_pass: 'true' });
      expectRefused(r, 'run busy-run is being driven by pid', `pid ${runner.pid} since`);
      expect(snapshot(cwd)).toEqual(before);
      expect((await cli(['runs', 'list'], cwd)).stdout).toContain('busy-run\tPROCESSING');
    } finally {
      process.kill(-runner.pid!, 'SIGKILL');
    }
    expect(await exited).toBe('SIGKILL');

    expect((await cli(['runs', 'list'], cwd)).stdout).toContain('busy-run\tINTERRUPTED');
    const second = await retry(cwd, 'busy-run', { should_pass: 'true' });
    expect(second.code, second.stderr).toBe(0);
    expect(second.log.status).toBe('SUCCESS');
    expect(ran(cwd)).toEqual(['first', 'slow', 'slow']);
    expect(statuses(step(second.log, 'first'))).toEqual(['SUCCESS']);
    expect((await cli(['runs', 'list'], cwd)).stdout).toContain('busy-run\tSUCCESS');
  });

  it('a run made with -c CONFIG, retried without it: the default store does not know the run', async () => {
    const cwd = workdir({
      'config.yaml': 'run-log-store:\n  type: file-system\n  config:\n    log_folder: my_logs\n',
      'pipeline.yaml': FAILING,
    });
    const first = await cli(['execute', 'pipeline.yaml', '-c', 'config.yaml', '--json'], cwd);
    expect(first.code).toBe(1);
    const runId = summary(first).run_id;
    expect(existsSync(join(cwd, 'my_logs', `${runId}.json`))).toBe(true);
    const before = snapshot(cwd);
    expectRefused(await cli(['retry', runId], cwd, { should_pass: 'true' }), `unknown run id '${runId}'`);
    expect(snapshot(cwd)).toEqual(before);

    // with the run's config, by -c or RUNNABLE_CONFIGURATION_FILE, it continues
    const second = await cli(['retry', runId, '--json'], cwd, { should_pass: 'true', RUNNABLE_CONFIGURATION_FILE: 'config.yaml' });
    expect(second.code, second.stderr).toBe(0);
    expect(summary(second).run_log.status).toBe('SUCCESS');
    expect(ran(cwd)).toEqual(['first', 'second', 'second']);
  });

  it('through the library: retryRun throws a RunnableError (E_RUN_ID) and writes nothing', async () => {
    const { cwd, runId } = await failedRun();
    const before = snapshot(cwd);
    await expect(retryRun({ runId: 'no-such-run', cwd, env: cleanEnv() })).rejects.toSatisfy(
      (e: unknown) => e instanceof RunnableError && e.code === 'E_RUN_ID',
    );
    expect(snapshot(cwd)).toEqual(before);
    void runId;
  });
});

/** Polls `ok` every 50 ms until it is true or `ms` have passed. */
async function until(ok: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ---------------------------------------------------------------------------------------------
describe('retry keeps the run as it was', () => {
  it('ignores a changed description and comments (not structure)', async () => {
    const yaml = `# a comment
dag:
  description: first version
  start_at: check
  steps:
    check: {type: task, command_type: shell, command: 'test "$should_pass" = true', next: success}
`;
    const cwd = workdir({ 'pipeline.yaml': yaml });
    const first = await execute(cwd);
    expect(first.code).toBe(1);
    writeFileSync(join(cwd, 'pipeline.yaml'), yaml.replace('# a comment', '# another comment').replace('first version', 'second version'));
    const second = await retry(cwd, first.runId, { should_pass: 'true' });
    expect(second.code, second.stderr).toBe(0);
    expect(second.log.dag_hash).toBe(first.log.dag_hash);
  });

  it('through the library: retryRun continues with the run\'s parameters, not RUNNABLE_PRM_ of its env', async () => {
    const cwd = workdir({
      'params.yaml': 'greeting: hello\n',
      'pipeline.yaml': `dag:
  start_at: shout
  steps:
    shout: {type: task, command_type: shell, command: 'export loud="$greeting!"', returns: [loud], next: check}
    check: {type: task, command_type: shell, command: 'test -e ok && test "$loud" = "hello!" && test "$greeting" = hello', next: success}
`,
    });
    const first = await runLib(cwd, { params: 'params.yaml', env: { RUNNABLE_PRM_extra: '1' } });
    expect(first.status).toBe('FAIL');
    writeFileSync(join(cwd, 'ok'), '');
    writeFileSync(join(cwd, 'params.yaml'), 'greeting: bye\n');
    const second = await retryRun({ runId: first.runId, cwd, env: cleanEnv({ RUNNABLE_PRM_greeting: 'changed', RUNNABLE_PARAMETERS_FILE: 'params.yaml' }) });
    expect(second.status).toBe('SUCCESS');
    expect(second.runId).toBe(first.runId);
    expect(values(second.runLog.parameters)).toEqual({ greeting: 'hello', extra: 1, loud: 'hello!' });
    expect(statuses(step(second.runLog, 'check'))).toEqual(['FAIL', 'SUCCESS']);
    expect(statuses(step(second.runLog, 'shout'))).toEqual(['SUCCESS']);
  });
});

// ---------------------------------------------------------------------------------------------
describe('backoff between attempts', () => {
  it('waits retry_delay_seconds × retry_backoff_factor^n before attempt n+2 (1 s, then 8 s)', async () => {
    const cwd = workdir({
      'pipeline.yaml': `dag:
  start_at: always_fails
  steps:
    always_fails:
      type: task
      command_type: shell
      command: 'echo "attempt $RUNNABLE_STEP_ATTEMPT" >> ran.txt; exit 1'
      max_attempts: 3
      retry_delay_seconds: 1
      retry_backoff_factor: 8
      next: success
`,
    });
    const first = await execute(cwd);
    expect(first.code).toBe(1);
    const s = step(first.log, 'always_fails');
    expect(statuses(s)).toEqual(['FAIL', 'FAIL', 'FAIL']);
    expect(numbers(s)).toEqual([1, 2, 3]);
    expect(ran(cwd)).toEqual(['attempt 1', 'attempt 2', 'attempt 3']);
    const gap = (n: number) => (Date.parse(s.attempts[n]!.start_time) - Date.parse(s.attempts[n - 1]!.end_time)) / 1000;
    expect(gap(1)).toBeGreaterThanOrEqual(0.99);
    expect(gap(2)).toBeGreaterThanOrEqual(7.99);
    // the first wait is the delay itself (factor^0: 1 s), not delay × factor (8 s): the bound sits
    // far from both, so a loaded machine's slower run-log writes cannot tip it
    expect(gap(1)).toBeLessThan(6);
  });

  describe('Ctrl-C during the wait', () => {
    let cwd = '';
    let elapsed = 0;
    let code: number | null = null;
    let log: RunLog | undefined;
    beforeAll(async () => {
      cwd = workdir({
        'pipeline.yaml': `dag:
  start_at: waits_long
  steps:
    waits_long:
      type: task
      command_type: shell
      command: 'echo "attempt $RUNNABLE_STEP_ATTEMPT" >> ran.txt; exit 1'
      max_attempts: 3
      retry_delay_seconds: 60
      next: success
`,
      });
      const runner = spawn(process.execPath, [CLI, 'execute', 'pipeline.yaml', '--run-id', 'waiting'], { cwd, env: cleanEnv(), stdio: 'ignore' });
      const exited = new Promise<number | null>((resolve) => runner.on('exit', (c) => resolve(c)));
      await until(() => ran(cwd).length === 1, 30_000);
      await new Promise((r) => setTimeout(r, 300)); // into the 60 s wait
      const t0 = Date.now();
      runner.kill('SIGINT');
      code = await exited;
      elapsed = Date.now() - t0;
      log = readRunLog(cwd, 'waiting');
    });

    it('cuts the wait short: the run stops promptly and is recorded as FAIL', () => {
      expect(elapsed).toBeLessThan(10_000);
      expect(code).toBe(1);
      expect(log!.status).toBe('FAIL');
      expect(ran(cwd)).toEqual(['attempt 1']);
    });

    // BUG (src/nodes/task.ts executeTask): after backoff() returns because of the abort, the loop
    // starts attempt 2 anyway; runAttempt fails it at once ("aborted: interrupted by SIGINT")
    // and records it, so the step shows an attempt whose command never ran (and the terminal
    // prints "→ waits_long (attempt 2)"). Fix: `if (rc.signal.aborted) break;` right after
    // `await backoff(node, i, rc.signal)`.
    it('records only the attempts that ran', () => {
      expect(step(log!, 'waits_long').attempts.map((a) => a.message)).toEqual(['exit code 1']);
    });
  });

  it('does not wait between attempts when retry_delay_seconds is not set', async () => {
    const cwd = workdir({
      'pipeline.yaml': `dag:
  start_at: no_delay
  steps:
    no_delay:
      type: task
      command_type: shell
      command: exit 1
      max_attempts: 3
      next: success
`,
    });
    const first = await execute(cwd);
    const s = step(first.log, 'no_delay');
    expect(statuses(s)).toEqual(['FAIL', 'FAIL', 'FAIL']);
    // no delay of its own: what is left is the run-log writes between attempts (slow when
    // loaded); any default delay would be seconds, as runnable's retry_delay_seconds are
    for (const n of [1, 2]) expect(Date.parse(s.attempts[n]!.start_time) - Date.parse(s.attempts[n - 1]!.end_time)).toBeLessThan(5_000);
  });
});
