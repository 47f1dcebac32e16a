/**
 * examples/08-mocking: the mocked configs applied to example pipelines through the CLI, for the
 * YAML pipeline and its SDK twin alike (a config never needs a change to the pipeline).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { StepLog } from '../../src/runlog/types.js';
import { runCli, type CliRun } from '../examples/_cli.js';

const steps = (r: CliRun): StepLog[] => {
  const out: StepLog[] = [];
  const visit = (s: Record<string, StepLog>) => {
    for (const step of Object.values(s)) {
      out.push(step);
      for (const b of Object.values(step.branches)) visit(b.steps);
    }
  };
  visit(r.log.steps);
  return out;
};
const mocked = (r: CliRun) => steps(r).filter((s) => s.mock).map((s) => s.internal_name);
const taskLog = (r: CliRun, step: string): string => {
  const dir = join(r.cwd, '.catalog', r.log.run_id, '.logs');
  const file = readdirSync(dir).find((f) => f.startsWith(`${step}.attempt-`));
  return file ? readFileSync(join(dir, file), 'utf8') : '';
};

describe.each(['yaml', 'ts'])('02-sequential/traversal.%s', (ext) => {
  const runs: Record<string, CliRun> = {};
  beforeAll(async () => {
    const file = `02-sequential/traversal.${ext}`;
    runs.simple = await runCli(file, ['-c', 'examples/08-mocking/mocked-config-simple.yaml']);
    runs.patching = await runCli(file, ['-c', 'examples/08-mocking/patching.yaml']);
    runs.failure = await runCli(file, ['-c', 'examples/08-mocking/mocked-config-failure.yaml']);
  }, 300_000);

  it('mocked-config-simple.yaml: nothing runs, every task recorded as mocked', () => {
    const r = runs.simple!;
    expect(r.code).toBe(0);
    expect(mocked(r)).toEqual(['hello typescript', 'hello shell', 'hello async']);
    expect(r.stderr).not.toContain('Hello World!'); // task output goes to stderr under --json
  });

  it('patching.yaml: the patches run instead, one as a shell command in place of a TS function', () => {
    const r = runs.patching!;
    expect(r.code).toBe(0);
    expect(mocked(r)).toEqual([]);
    expect(taskLog(r, 'hello typescript')).toContain('Hello from mock');
    expect(taskLog(r, 'hello shell')).toContain('hello from mocked');
    expect(taskLog(r, 'hello async')).toContain('hello from a shell patch');
    expect(r.stderr).not.toContain('Hello World!'); // task output goes to stderr under --json
  });

  it('mocked-config-failure.yaml: a patched failure takes the failure path', () => {
    const r = runs.failure!;
    expect(r.code).toBe(1);
    expect(r.log.steps['hello shell']).toMatchObject({ status: 'FAIL', mock: false });
    expect(r.log.steps['hello async']).toBeUndefined();
    expect(Object.keys(r.log.steps)).toEqual(['hello stub', 'hello typescript', 'hello shell', 'fail']);
  });
});

describe.each(['yaml', 'ts'])('02-sequential/default_fail.%s with mocked-config-unittest.yaml', (ext) => {
  it('patches the failing step: the run succeeds', async () => {
    const r = await runCli(`02-sequential/default_fail.${ext}`, ['-c', 'examples/08-mocking/mocked-config-unittest.yaml']);
    expect(r.code).toBe(0);
    expect(r.log.steps['step 2']).toMatchObject({ status: 'SUCCESS', mock: false });
    expect(Object.keys(r.log.steps)).toEqual(['step 1', 'step 2', 'step 3', 'success']);
  }, 120_000);
});

describe.each(['yaml', 'ts'])('07-map/map.%s with mocked-config.yaml', (ext) => {
  it('fans out over the parameters; the patched step runs in every iteration and is reduced', async () => {
    const r = await runCli(`07-map/map.${ext}`, ['-c', 'examples/08-mocking/mocked-config.yaml', '-p', 'examples/08-mocking/mocked_map_parameters.yaml']);
    expect(r.code).toBe(0);
    expect(Object.keys(r.log.steps.map_state!.branches)).toEqual(['map_state.0', 'map_state.10', 'map_state.20', 'map_state.30', 'map_state.40']);
    expect(r.log.parameters.processed_shell).toEqual({ kind: 'json', value: [0, 1, 2, 3, 4] });
    const notMocked = steps(r).filter((s) => s.step_type === 'task' && !s.mock).map((s) => s.internal_name);
    expect(notMocked).toEqual(['map_state.0.execute_shell', 'map_state.10.execute_shell', 'map_state.20.execute_shell', 'map_state.30.execute_shell', 'map_state.40.execute_shell']);
    expect(mocked(r)).toContain('collect');
  }, 120_000);
});
