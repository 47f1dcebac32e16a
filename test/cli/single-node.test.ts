/**
 * The step-at-a-time protocol through the built CLI: `runnable execute-single-node` and
 * `runnable fan ... in|out`, driven by hand exactly as a remote engine drives them, on a run
 * created (PROCESSING, nothing run yet) the way `runnable execute` creates one. Exit codes: 0
 * the step succeeded (or a composite opened / a loop goes on), 1 it failed, 2 bad input with
 * nothing written.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunContext } from '../../src/engine/context.js';
import { dagHash } from '../../src/graph/hash.js';
import { findNode } from '../../src/graph/names.js';
import type { CompositeNode } from '../../src/graph/model.js';
import { RunLogAccess } from '../../src/runlog/access.js';
import type { RunLog } from '../../src/runlog/types.js';
import { pendingBranches, toBranchSpec, type BranchSpec } from '../../src/engine/branches.js';
import { loadPipelineSource } from '../../src/runner/load.js';
import { prepareRun } from '../../src/runner/prepare.js';
import { INITIAL_PARAMETERS, cleanEnv, cleanup, cli, makeWorkdir } from '../executors/_emulate.js';

const CONFIG = 'run-log-store: {type: chunked-fs}\n';
const MAP = 'examples/07-map/map.yaml';
const LOOP = 'examples/10-loop/simple_loop.yaml';
const INNER = 'map_state.map_variable_placeholder';

let cwd: string;
beforeAll(() => {
  cwd = makeWorkdir();
  writeFileSync(join(cwd, 'config.yaml'), CONFIG);
  writeFileSync(
    join(cwd, 'odd.yaml'),
    `dag:
  start_at: say hello
  steps:
    say hello: {type: task, command_type: shell, command: 'echo hello', next: fan}
    fan:
      type: map
      iterate_on: missing_list
      iterate_as: item
      next: success
      branch: {start_at: s, steps: {s: {type: stub, next: success}}}
`,
  );
});
afterAll(cleanup);

let seq = 0;
/** A run as `runnable execute` creates it, before the executor runs anything. */
async function startRun(pipeline: string, params?: string): Promise<{ runId: string; log: RunLogAccess }> {
  const runId = `protocol-${process.pid}-${++seq}`;
  const run = await prepareRun({ pipeline, configFile: 'config.yaml', parametersFile: params, runId, cwd, env: cleanEnv() });
  const header = { run_id: runId, dag_hash: dagHash(run.pipeline.graph), tag: '', status: 'PROCESSING' as const, run_config: { pipeline } };
  await run.store.create(header);
  const log = new RunLogAccess(run.store, runId, false);
  await log.putRootParams(run.parameters);
  return { runId, log };
}

const step = (runId: string, pipeline: string, name: string, ...extra: string[]) => cli(['execute-single-node', runId, pipeline, name, '-c', 'config.yaml', ...extra], cwd);
const fanCmd = (runId: string, name: string, pipeline: string, dir: string, ...extra: string[]) => cli(['fan', runId, name, pipeline, dir, '-c', 'config.yaml', '--json', ...extra], cwd);
const lastLine = (s: string): unknown => JSON.parse(s.trimEnd().split('\n').at(-1)!);

describe('a map driven step by step', () => {
  let runId: string;
  let log: RunLogAccess;
  let branches: BranchSpec[];
  let final: RunLog;

  beforeAll(async () => {
    ({ runId, log } = await startRun(MAP, INITIAL_PARAMETERS));
    const out = await fanCmd(runId, 'map_state', MAP, 'in');
    expect(out.code, out.stderr).toBe(0);
    branches = lastLine(out.stdout) as BranchSpec[];
  }, 120_000);

  it('fan in prints the branches to run: name, branch graph, first step, --map-variable', () => {
    expect(branches).toEqual([1, 2, 3].map((chunk) => ({ internal_name: `map_state.${chunk}`, branch: INNER, start_at: `${INNER}.execute_typescript`, map_variable: { chunk } })));
  });

  it('the same branches are derivable from the run log', async () => {
    const pipeline = await loadPipelineSource(MAP, cwd);
    const { node, graph } = findNode(pipeline.graph, 'map_state');
    const rc = { log, runId, pipeline } as unknown as RunContext;
    const pending = await pendingBranches(rc, node as CompositeNode, graph, []);
    expect(pending.map(toBranchSpec)).toEqual(branches);
    for (const b of branches) expect((await log.branch(b.internal_name))?.status).toBe('PROCESSING');
  });

  it('runs every step of every branch, closes the map, runs the rest: the run succeeds', async () => {
    const names = ['execute_typescript', 'execute_async', 'execute_shell', 'read_chunk', 'success'];
    await Promise.all(
      branches.map(async (b) => {
        for (const name of names) {
          const r = await step(runId, MAP, `${b.branch}.${name}`, '--map-variable', JSON.stringify(b.map_variable), '--json');
          expect(r.code, r.stderr).toBe(0);
          expect(lastLine(r.stdout)).toEqual({ run_id: runId, internal_name: `${b.internal_name}.${name}`, status: 'SUCCESS' });
        }
      }),
    );
    const closed = await fanCmd(runId, 'map_state', MAP, 'out');
    expect(closed.code, closed.stderr).toBe(0);
    expect(lastLine(closed.stdout)).toEqual({ status: 'SUCCESS' });
    for (const name of ['collect', 'success']) {
      const r = await step(runId, MAP, name);
      expect(r.code, r.stderr).toBe(0);
    }
    final = await log.assemble();
    expect(final.status).toBe('SUCCESS');
    expect(final.parameters.processed_shell?.value).toEqual([1000, 2000, 3000]);
    expect(Object.keys(final.steps)).toEqual(['map_state', 'collect', 'success']);
    expect(Object.keys(final.steps.map_state!.branches)).toEqual(['map_state.1', 'map_state.2', 'map_state.3']);
  }, 240_000);

  it('refuses a finished run (exit 2)', async () => {
    const r = await step(runId, MAP, 'collect');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/has finished \(SUCCESS\)/);
  });
});

describe('a loop driven step by step', () => {
  it('fan out asks for the next iteration until break_on', async () => {
    const { runId, log } = await startRun(LOOP);
    const out = await fanCmd(runId, 'counter_loop', LOOP, 'in');
    expect(out.code, out.stderr).toBe(0);
    let pending = lastLine(out.stdout) as BranchSpec[];
    expect(pending).toEqual([{ internal_name: 'counter_loop.0', branch: 'counter_loop.loop_variable_placeholder', start_at: 'counter_loop.loop_variable_placeholder.count', map_variable: { counter: 0 } }]);
    const seen: string[] = [];
    for (;;) {
      for (const b of pending) {
        seen.push(b.internal_name);
        for (const name of ['count', 'success']) expect((await step(runId, LOOP, `${b.branch}.${name}`, '--map-variable', JSON.stringify(b.map_variable))).code).toBe(0);
      }
      const r = await fanCmd(runId, 'counter_loop', LOOP, 'out');
      expect(r.code, r.stderr).toBe(0);
      const report = lastLine(r.stdout) as { status: string; next?: BranchSpec[] };
      if (report.status !== 'PROCESSING') {
        expect(report).toEqual({ status: 'SUCCESS' });
        break;
      }
      expect(report.next).toHaveLength(1);
      pending = report.next!;
    }
    expect(seen).toEqual(['counter_loop.0', 'counter_loop.1', 'counter_loop.2', 'counter_loop.3']);
    expect((await log.assemble()).parameters.should_stop?.value).toBe(true);
  }, 240_000);
});

describe('failures', () => {
  it('a failing step exits 1 and the run log holds why', async () => {
    const { runId, log } = await startRun('examples/02-sequential/on_failure_fail.yaml');
    const r = await step(runId, 'examples/02-sequential/on_failure_fail.yaml', 'step_1', '--json');
    expect(r.code).toBe(1);
    expect(lastLine(r.stdout)).toEqual({ run_id: runId, internal_name: 'step_1', status: 'FAIL' });
    const s = await log.step('step_1');
    expect(s?.status).toBe('FAIL');
    expect(s?.message).toMatch(/exit code 1/);
  }, 60_000);

  it('a composite that cannot open exits 1, prints no branch and is recorded FAIL', async () => {
    const { runId, log } = await startRun('odd.yaml');
    const r = await fanCmd(runId, 'fan', 'odd.yaml', 'in');
    expect(r.code).toBe(1);
    expect(lastLine(r.stdout)).toEqual([]);
    const s = await log.step('fan');
    expect(s?.status).toBe('FAIL');
    expect(s?.message).toMatch(/iterate_on parameter 'missing_list' is not set/);
  }, 60_000);

  it('a step name may spell spaces as %, as runnable command names do', async () => {
    const { runId, log } = await startRun('odd.yaml');
    const r = await step(runId, 'odd.yaml', 'say%hello');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('hello');
    expect((await log.step('say hello'))?.status).toBe('SUCCESS');
  }, 60_000);
});

describe('bad input exits 2 and writes nothing', () => {
  let runId: string;
  let log: RunLogAccess;
  const results: Record<string, { code: number | null; stderr: string }> = {};
  const CALLS: Record<string, [string[], RegExp]> = {
    'unknown run id': [['execute-single-node', 'no-such-run', MAP, 'collect'], /unknown run id 'no-such-run'/],
    'unknown step': [['execute-single-node', '$RUN', MAP, 'nope'], /no step with internal name 'nope'/],
    'a resolved name instead of the template': [['execute-single-node', '$RUN', MAP, 'map_state.1.read_chunk'], /placeholder.*--map-variable/],
    'bad --map-variable JSON': [['execute-single-node', '$RUN', MAP, `${INNER}.read_chunk`, '--map-variable', '{chunk'], /--map-variable is not valid JSON/],
    'no --map-variable inside a map': [['execute-single-node', '$RUN', MAP, `${INNER}.read_chunk`], /needs 1 value/],
    '--map-variable with the wrong name': [['execute-single-node', '$RUN', MAP, `${INNER}.read_chunk`, '--map-variable', '{"item": 1}'], /must be \{"chunk": \.\.\.\}/],
    '--map-variable outside any map': [['execute-single-node', '$RUN', MAP, 'collect', '--map-variable', '{"chunk": 1}'], /must be nothing/],
    'a branch that was not opened': [['execute-single-node', '$RUN', MAP, `${INNER}.read_chunk`, '--map-variable', '{"chunk": 1}'], /branch 'map_state.1' is not open/],
    'a composite to execute-single-node': [['execute-single-node', '$RUN', MAP, 'map_state'], /composite steps are opened and closed with `runnable fan`/],
    'a task to fan': [['fan', '$RUN', 'collect', MAP, 'in'], /not a composite/],
    'fan out before fan in': [['fan', '$RUN', 'map_state', MAP, 'out'], /was not opened/],
    'a direction that is neither in nor out': [['fan', '$RUN', 'map_state', MAP, 'sideways'], /sideways/],
    'another pipeline than the run\'s': [['execute-single-node', '$RUN', 'examples/02-sequential/traversal.yaml', 'hello%stub'], /dag_hash differs/],
  };

  beforeAll(async () => {
    ({ runId, log } = await startRun(MAP, INITIAL_PARAMETERS));
    await Promise.all(
      Object.entries(CALLS).map(async ([name, [args]]) => {
        results[name] = await cli([...args.map((a) => (a === '$RUN' ? runId : a)), '-c', 'config.yaml'], cwd);
      }),
    );
  }, 180_000);

  for (const [name, [, message]] of Object.entries(CALLS)) {
    it(name, () => {
      expect(results[name]!.code, results[name]!.stderr).toBe(2);
      expect(results[name]!.stderr).toMatch(message);
    });
  }

  it('left the run as it was', async () => {
    const runLog = await log.assemble();
    expect(runLog.status).toBe('PROCESSING');
    expect(runLog.steps).toEqual({});
  });
});
