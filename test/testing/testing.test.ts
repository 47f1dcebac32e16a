/**
 * `runnable-ts/testing`: running pipelines and jobs in memory with patches, and the run-log
 * helpers, as a user's test suite uses them. The user-facing examples are
 * examples/testing/pipeline.test.ts (run by this suite through vitest's include) and
 * examples/testing/pipeline.node-test.ts (run here under node:test in a child process).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { AssertionError } from 'node:assert';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunnableError } from '../../src/errors.js';
import { job, pipeline, shell } from '../../src/sdk/index.js';
import {
  allSteps,
  assertFailed,
  assertSucceeded,
  attemptsOf,
  branchNames,
  branchOf,
  inputsOf,
  metricsOf,
  mockedSteps,
  outputsOf,
  runJob,
  runPipeline,
  statuses,
  stepOf,
  valuesOf,
} from '../../src/testing/index.js';
import { REPO, cleanEnv, workdir } from '../engine/_helpers.js';
import { squares } from './fixtures/pipeline.js';

const env = cleanEnv();
const offline = { fetch: () => ({ rows: 3 }) };

describe('runPipeline', () => {
  it('runs an SDK pipeline with a function patch, in memory: nothing written in the working directory', async () => {
    const cwd = workdir();
    const log = await runPipeline(squares(), { cwd, env, patches: offline });

    assertSucceeded(log);
    expect(valuesOf(log)).toEqual({ raw: { rows: 3 }, items: [1, 2, 3], sq: [1, 4, 9], sum: 14 });
    expect(statuses(log)).toMatchObject({ fetch: 'SUCCESS', fan: 'SUCCESS', 'fan.1': 'SUCCESS', 'fan.2.square': 'SUCCESS', notify: 'SUCCESS' });
    expect(readdirSync(cwd)).toEqual(['package.json']); // no .run_log_store, no .catalog
    expect(mockedSteps(log)).toEqual([]);
  });

  it('binds a function patch`s parameters by name and maps its return onto the step`s returns', async () => {
    const seen: number[] = [];
    const log = await runPipeline(squares(), {
      env,
      patches: {
        ...offline,
        square: (item: number) => {
          seen.push(item);
          return item * 10;
        },
      },
    });
    assertSucceeded(log);
    expect(seen.sort()).toEqual([1, 2, 3]);
    expect(inputsOf(log, 'fan.2.square')).toEqual({ item: 2 });
    expect(outputsOf(log, 'fan.2.square')).toEqual({ sq: 20 });
    expect(metricsOf(log, 'total')).toEqual({ sum: 60 });
    expect(stepOf(log, 'fan.2.square').mock).toBe(false);
  });

  it('patches one iteration by its resolved internal name; a command patch may change the command type', async () => {
    const log = await runPipeline(squares(), {
      env,
      patches: { ...offline, 'fan.3.square': { command: 'export sq=100', command_type: 'shell' }, notify: { command: 'exit 3' } },
    });
    assertFailed(log, 'notify');
    expect(valuesOf(log).sq).toEqual([1, 4, 100]);
    expect(stepOf(log, 'notify').message).toContain('exit code 3');
  });

  it('a throwing function patch fails its step with the error', async () => {
    const log = await runPipeline(squares(), {
      env,
      patches: {
        fetch: () => {
          throw new TypeError('no network in tests');
        },
      },
    });
    assertFailed(log, 'fetch');
    expect(stepOf(log, 'fetch').message).toContain('TypeError: no network in tests');
    expect(() => assertSucceeded(log)).toThrow(/ended FAIL \(fetch: TypeError: no network in tests\)/);
  });

  it("unpatched: 'mock' is the mocked executor: only patches run, composites still fan out", async () => {
    const log = await runPipeline(squares(), { env, unpatched: 'mock', parameters: { items: ['a', 'b'] } });
    assertSucceeded(log);
    expect(branchNames(log, 'fan')).toEqual(['fan.a', 'fan.b']);
    expect(mockedSteps(log)).toEqual(['fetch', 'make_items', 'fan.a.square', 'fan.b.square', 'total', 'notify']);
    expect(valuesOf(log)).toEqual({ items: ['a', 'b'] });
  });

  it('runs a YAML pipeline file; parameters from a file and by value', async () => {
    const cwd = workdir({
      'pipeline.yaml': 'dag:\n  start_at: greet\n  steps:\n    greet:\n      type: task\n      command_type: shell\n      command: export greeting="$hello $name"\n      returns: [greeting]\n      next: success\n',
      'params.yaml': 'hello: hi\nname: file\n',
    });
    const log = await runPipeline('pipeline.yaml', { cwd, env, parametersFile: 'params.yaml', parameters: { name: 'value' } });
    assertSucceeded(log);
    expect(valuesOf(log).greeting).toBe('hi value');
  });

  it('removes its temporary catalog afterwards, or keeps it in catalogDir', async () => {
    const cwd = workdir();
    const putting = pipeline([shell('echo 14 > sum.txt', { name: 'notify', catalog: { put: ['sum.txt'] } })]);
    const temp = await runPipeline(putting, { cwd, env });
    const location = stepOf(temp, 'notify').data_catalog[0]!.catalog_handler_location;
    expect(location.startsWith(cwd)).toBe(false);
    expect(existsSync(location)).toBe(false);
    const kept = await runPipeline(putting, { cwd, env, catalogDir: 'kept', runId: 'kept-run' });
    assertSucceeded(kept);
    expect(existsSync(join(cwd, 'kept', 'kept-run', 'sum.txt'))).toBe(true);
  });

  it('rejects bad input with a RunnableError: a patch naming no task, an unknown option', async () => {
    const e1 = await runPipeline(squares(), { env, patches: { nope: () => 1 } }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(RunnableError);
    expect(e1).toMatchObject({ code: 'E_CONFIG', where: { field: 'patches' } });
    expect((e1 as Error).message).toContain("unknown patch 'nope'");
    const e2 = await runPipeline(squares(), { env, patched: {} } as never).catch((e: unknown) => e);
    expect(e2).toMatchObject({ code: 'E_USAGE' });
  });
});

describe('runJob', () => {
  it('runs a job in memory and returns its run log', async () => {
    const log = await runJob(job(shell('export n=$((start + 1))', { name: 'inc', returns: ['n'] })), { env, parameters: { start: 41 } });
    assertSucceeded(log);
    expect(valuesOf(log)).toEqual({ start: 41, n: 42 });
    expect(attemptsOf(log)).toHaveLength(1);
    expect(outputsOf(log)).toEqual({ n: 42 });
    const failed = await runJob(job(shell('exit 9', { name: 'bad' })), { env });
    expect(() => assertSucceeded(failed)).toThrow(/ended FAIL \(job: exit code 9/);
  });
});

describe('run-log helpers', () => {
  it('explain what the run log holds when a name is wrong, with node`s AssertionError', async () => {
    const log = await runPipeline(squares(), { env, patches: offline });
    expect(branchOf(log, 'fan.1').status).toBe('SUCCESS');
    expect(allSteps(log).filter((s) => s.step_type === 'task')).toHaveLength(7);
    const cases: [() => unknown, string][] = [
      [() => stepOf(log, 'fetc'), "no step 'fetc' in run"],
      [() => stepOf(log, 'fan.4.square'), "no branch 'fan.4' in step 'fan'; its branches: 'fan.1', 'fan.2', 'fan.3'"],
      [() => stepOf(log, 'fan.1.sq'), "no step 'fan.1.sq' in branch 'fan.1'; its steps: 'fan.1.square', 'fan.1.success'"],
      [() => stepOf(log, 'fan.1'), "'fan.1' is a branch, not a step"],
      [() => branchOf(log, 'fan'), "'fan' is a step, not a branch"],
      [() => attemptsOf(log), 'is not a job'],
      [() => assertFailed(log), 'ended SUCCESS, not FAIL'],
    ];
    for (const [call, message] of cases) {
      expect(call).toThrow(AssertionError);
      expect(call).toThrow(message);
    }
  });
});

describe('the example user tests', () => {
  it('examples/testing/pipeline.node-test.ts passes under node:test', async () => {
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx/esm', '--test', 'examples/testing/pipeline.node-test.ts'],
        { cwd: REPO, env: { ...env, NO_COLOR: '1' }, timeout: 120_000 },
        (err, out) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: out }),
      );
    });
    expect(stdout).toMatch(/# pass 2/);
    expect(stdout).toMatch(/# fail 0/);
    expect(code).toBe(0);
  });
});
