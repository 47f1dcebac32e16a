/**
 * Argo-specific cases, each run by the test interpreter (./_interpreter.ts, a stand-in for the
 * Argo controller) and compared with `local` where it applies: a map inside a parallel inside a
 * loop, a conditional inside a map, a failing branch that follows its on_failure; a workflow
 * killed mid-run and resubmitted with the same run_id completes with each succeeded step run
 * exactly once (and max_attempts as Argo retries); and one workflow with every node type whose
 * pods run in podman with the locally built image.
 */
import { copyFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunLog, StepLog } from '../../src/runlog/types.js';
import { REPO, allSteps, parseJsonSummary } from '../examples/_run.js';
import { ensureImage, IMAGE } from '../executors/_container.js';
import { cleanup, cli, makeWorkdir, signature } from '../executors/_emulate.js';
import { catalogHashes, compile, interpret, uniqueRunId } from './_harness.js';

afterAll(cleanup);
const FIXTURES = join(REPO, 'test', 'argo', 'fixtures');

/** A copy of examples/ with the fixture and its parameters. */
function project(fixture: string): string {
  const cwd = makeWorkdir();
  copyFileSync(join(FIXTURES, fixture), join(cwd, fixture));
  copyFileSync(join(FIXTURES, 'nested-params.yaml'), join(cwd, 'params.yaml'));
  return cwd;
}

async function local(cwd: string, pipeline: string): Promise<RunLog> {
  const r = await cli(['execute', pipeline, '-p', 'params.yaml', '--json'], cwd);
  return parseJsonSummary(r.stdout)!.run_log as RunLog;
}

describe.each([
  ['map-in-parallel-in-loop.yaml', 'SUCCESS'],
  ['conditional-in-map.yaml', 'SUCCESS'],
  ['branch-on-failure.yaml', 'SUCCESS'],
])('%s', (fixture, status) => {
  test('compiles, validates and runs in the interpreter as under local', async () => {
    const cwd = project(fixture);
    const expected = await local(cwd, fixture);
    expect(expected.status).toBe(status);
    const run = await interpret(await compile(fixture, { cwd, params: 'params.yaml' }), uniqueRunId('nested'));
    expect(run.runLog?.status, run.pods.map((p) => `${p.template} ${p.phase} ${p.stderr.slice(-300)}`).join('\n')).toBe(status);
    expect(signature(run.runLog!)).toEqual(signature(expected));
    expect(catalogHashes(run.runLog!)).toEqual(catalogHashes(expected));
  }, 900_000);
});

test('the values are the ones each iteration computed', async () => {
  const cwd = project('conditional-in-map.yaml');
  const run = await interpret(await compile('conditional-in-map.yaml', { cwd, params: 'params.yaml' }), uniqueRunId('values'));
  // 1 → 4, 2 → 1, 3 → 10, 4 → 2: each item took its parity's branch
  expect(run.runLog!.parameters.result).toEqual({ kind: 'json', value: [4, 1, 10, 2] });
}, 900_000);

describe('a workflow killed mid-run and submitted again under the same run_id', () => {
  let cwd: string;
  let first: Awaited<ReturnType<typeof interpret>>;
  let second: Awaited<ReturnType<typeof interpret>>;

  beforeAll(async () => {
    cwd = project('resumable.yaml');
    const compiled = await compile('resumable.yaml', { cwd, params: 'params.yaml' });
    writeFileSync(join(cwd, 'hold'), '');
    const controller = new AbortController();
    // kill the workflow (every running pod, SIGKILL) once `slow` is inside its command
    const watching = (async () => {
      while (!existsSync(join(cwd, 'slow-started')) && !controller.signal.aborted) await new Promise((r) => setTimeout(r, 100));
      controller.abort();
    })();
    const runId = uniqueRunId('resumed');
    first = await interpret(compiled, runId, { signal: controller.signal });
    await watching;
    rmSync(join(cwd, 'hold'));
    second = await interpret(compiled, runId);
  }, 900_000);

  test('the first workflow failed with the run unfinished', () => {
    expect(first.phase).toBe('Failed');
    expect(first.runLog?.status).toBe('PROCESSING');
  });

  test('the second completes the run: each step that succeeded before ran once, the rest ran now', () => {
    expect(second.phase).toBe('Succeeded');
    const log = second.runLog!;
    expect(log.status).toBe('SUCCESS');
    expect(log.run_config.retries).toBe(1);
    const byName = Object.fromEntries(allSteps(log).map((s: StepLog) => [s.internal_name, s]));
    for (const name of ['first', 'fan', 'fan.a.each', 'fan.b.each']) {
      expect(byName[name]!.attempts.map((a) => a.status), name).toEqual(['SUCCESS']);
    }
    expect(byName.slow!.attempts.map((a) => a.status)).toEqual(['SUCCESS']);
    expect(log.parameters.total).toEqual({ kind: 'json', value: '1-yes' });
    // the second workflow ran no pod for what had succeeded: its step pods are skips
    const secondSteps = second.pods.filter((p) => p.args[0] === 'execute-single-node').map((p) => p.args[3]);
    expect(secondSteps.filter((s) => s === 'first')).toHaveLength(1);
  });

  test('max_attempts: a failed attempt is retried by Argo (retryStrategy), one attempt per pod', () => {
    const last = allSteps(second.runLog!).find((s) => s.internal_name === 'last')!;
    expect(last.attempts.map((a) => [a.attempt_number, a.status])).toEqual([
      [1, 'FAIL'],
      [2, 'SUCCESS'],
    ]);
    expect(second.pods.filter((p) => p.args[3] === 'last').map((p) => p.phase)).toEqual(['Failed', 'Succeeded']);
  });
});

describe('in podman, with the locally built image', () => {
  beforeAll(() => ensureImage(), 900_000);

  test('every node type (task, stub, success, parallel, map, loop, conditional, fail edges) runs in containers as under local', async () => {
    for (const fixture of ['map-in-parallel-in-loop.yaml', 'conditional-in-map.yaml']) {
      const cwd = project(fixture);
      const expected = await local(cwd, fixture);
      const run = await interpret(await compile(fixture, { cwd, params: 'params.yaml' }), uniqueRunId('podman'), { podman: { image: IMAGE, when: () => true }, maxPods: 3 });
      expect(run.pods.every((p) => p.inPodman)).toBe(true);
      expect(run.runLog?.status, run.pods.map((p) => `${p.template} ${p.phase} ${p.stderr.slice(-300)}`).join('\n')).toBe('SUCCESS');
      expect(signature(run.runLog!)).toEqual(signature(expected));
    }
  }, 1_800_000);
});
