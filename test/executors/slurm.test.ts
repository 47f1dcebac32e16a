/**
 * The `slurm` executor against a real Slurm cluster (started by scripts/slurm-up.sh when it is
 * not up; the tests fail, not skip, when it cannot be): the portability matrix's Slurm column
 * (every kind of example gives the statuses and parameters it gives under `local`), Slurm job
 * ids in the code identities, a job cancelled mid-step fails its step cleanly and `retry`
 * completes the run, and Ctrl-C cancels the run's jobs.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunLog, StepLog } from '../../src/runlog/types.js';
import { CLI, MATRIX_CASES, cleanEnv, cleanup, cli, makeWorkdir, runUnder, signature, type MatrixRun } from './_emulate.js';
import { REPO } from '../examples/_run.js';
import { ensureCluster } from './_slurm.js';

const SLURM_CONFIG = 'pipeline-executor: {type: slurm, config: {poll_interval: 0.25}}\nrun-log-store: {type: chunked-fs}\n';

async function runSlurm(pipeline: string, opts: { params?: boolean; env?: Record<string, string> } = {}): Promise<MatrixRun> {
  const cwd = makeWorkdir();
  writeFileSync(join(cwd, 'slurm.yaml'), SLURM_CONFIG);
  const args = ['execute', pipeline, '--json', '-c', 'slurm.yaml', ...(opts.params ? ['-p', 'examples/common/initial_parameters.yaml'] : [])];
  const result = await cli(args, cwd, opts.env, 600_000);
  const summary = result.stdout.trimEnd().split('\n').at(-1) ?? '';
  let runLog: RunLog;
  try {
    runLog = (JSON.parse(summary) as { run_log: RunLog }).run_log;
  } catch {
    throw new Error(`slurm: no --json summary from runnable ${args.join(' ')} (exit ${result.code})\n${result.stderr.slice(-3000)}`);
  }
  return { ...result, config: 'slurm', cwd, runLog };
}

/** Runs at most `n` of the thunks at once. */
async function limited<T>(n: number, thunks: Array<() => Promise<T>>): Promise<T[]> {
  const out: T[] = new Array(thunks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < thunks.length) {
        const i = next++;
        out[i] = await thunks[i]!();
      }
    }),
  );
  return out;
}

function allSteps(container: { steps: Record<string, StepLog> }): StepLog[] {
  return Object.values(container.steps ?? {}).flatMap((s) => [s, ...Object.values(s.branches ?? {}).flatMap((b) => allSteps(b))]);
}

function squeueLines(): string[] {
  return execFileSync('squeue', ['--noheader', '--array', '--states=all', '--format=%i|%j|%T'], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

/** Slurm jobs of a run: `[id, step, state]`. */
function jobsOf(runId: string): Array<[string, string, string]> {
  return squeueLines()
    .map((l) => l.split('|') as [string, string, string])
    .filter(([, name]) => name.startsWith(`${runId}:`))
    .map(([id, name, state]) => [id, name.slice(runId.length + 1), state]);
}

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}


const CASES = MATRIX_CASES;

beforeAll(ensureCluster, 150_000);
afterAll(cleanup);

describe('portability matrix: slurm column', () => {
  const local: Record<string, MatrixRun> = {};
  const slurm: Record<string, MatrixRun> = {};
  beforeAll(async () => {
    // every pipeline under slurm at once (the cluster queues the jobs), local ones alongside
    // settle every run before failing: no run may outlive the block and write into a removed folder
    const settled = await Promise.allSettled([
      limited(4, CASES.map((c) => () => runUnder('local', c.pipeline, { params: c.params }))),
      limited(CASES.length, CASES.map((c) => () => runSlurm(c.pipeline, { params: c.params }).catch((e: Error) => e))),
    ]);
    for (const r of settled) if (r.status === 'rejected') throw r.reason;
    const [l, s] = settled.map((r) => (r as PromiseFulfilledResult<Array<MatrixRun | Error>>).value);
    CASES.forEach((c, i) => {
      local[c.pipeline] = l![i] as MatrixRun;
      const run = s![i]!;
      if (run instanceof Error) throw run;
      slurm[c.pipeline] = run;
    });
  }, 900_000);

  for (const c of CASES) {
    it(`${c.pipeline}: same statuses and parameters as local`, () => {
      const run = slurm[c.pipeline]!;
      expect(local[c.pipeline]!.runLog.status).toBe(c.status);
      expect(run.code, run.stderr.slice(-3000)).toBe(c.status === 'SUCCESS' ? 0 : 1);
      expect((run.runLog.run_config['pipeline-executor'] as { type: string }).type).toBe('slurm');
      expect(signature(run.runLog)).toEqual(signature(local[c.pipeline]!.runLog));
    });
  }

  it('records the Slurm job of every task and stub, and the fan jobs of composites, in code_identities', () => {
    const jobId = /^\d+(_\d+)?$/;
    for (const c of CASES) {
      for (const step of allSteps(slurm[c.pipeline]!.runLog)) {
        if (step.step_type === 'success' || step.step_type === 'fail') continue;
        const ids = step.code_identities.filter((i) => i.code_identifier_type === 'slurm');
        expect(ids.length, `${c.pipeline}: ${step.internal_name}`).toBeGreaterThan(0);
        for (const id of ids) expect(id.code_identifier).toMatch(jobId);
        if (step.step_type === 'task' && step.status === 'SUCCESS') expect(step.code_identities[0]!.code_identifier_type).toBe('git');
      }
    }
    // the items of a map ran as elements of job arrays
    const map = slurm['examples/07-map/map.yaml']!.runLog;
    const inner = allSteps(map).filter((s) => /^map_state\.\d+\./.test(s.internal_name) && s.step_type === 'task');
    expect(inner.length).toBeGreaterThan(0);
    for (const s of inner) expect(s.code_identities.find((i) => i.code_identifier_type === 'slurm')!.code_identifier).toMatch(/_\d+$/);
  });
});

const SLOW_PIPELINE = `dag:
  start_at: first
  steps:
    first:
      type: task
      command_type: shell
      command: echo first
      next: slow
    slow:
      type: task
      command_type: shell
      command: 'if [ -f slow.flag ]; then sleep 120; fi; echo done'
      next: last
    last:
      type: task
      command_type: shell
      command: echo last
      next: success
`;

function startRun(cwd: string, runId: string): { done: Promise<{ code: number | null; stderr: string }>; kill: (sig: NodeJS.Signals) => void } {
  const child = spawn(process.execPath, [CLI, 'execute', 'slow.yaml', '-c', 'slurm.yaml', '--run-id', runId], { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout.resume();
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stderr })));
  return { done, kill: (sig) => child.kill(sig) };
}

function setupSlow(config = SLURM_CONFIG): string {
  const cwd = makeWorkdir();
  writeFileSync(join(cwd, 'slurm.yaml'), config);
  writeFileSync(join(cwd, 'slow.yaml'), SLOW_PIPELINE);
  writeFileSync(join(cwd, 'slow.flag'), '');
  return cwd;
}

function readRunLog(cwd: string, runId: string, config = 'slurm.yaml'): Promise<RunLog> {
  return cli(['runs', 'show', runId, '--json', '-c', config], cwd).then((r) => JSON.parse(r.stdout) as RunLog);
}

describe('a Slurm job cancelled mid-step', () => {
  it('fails its step cleanly, cancels the steps submitted after it, and retry completes the run', async () => {
    const cwd = setupSlow();
    const runId = `slurm-kill-${Date.now().toString(36)}`;
    const run = startRun(cwd, runId);
    // the whole chain is submitted ahead: `last` waits on `slow` with afterok
    const slowJob = await until('the slow step to run', 180_000, () => jobsOf(runId).find(([, step, state]) => step === 'slow' && state === 'RUNNING')?.[0]);
    expect(jobsOf(runId).find(([, step]) => step === 'last')?.[2]).toBe('PENDING');
    execFileSync('scancel', [slowJob]);
    const { code, stderr } = await run.done;
    expect(code, stderr).toBe(1);

    const failed = await readRunLog(cwd, runId);
    expect(failed.status).toBe('FAIL');
    expect(failed.steps.first!.status).toBe('SUCCESS');
    expect(failed.steps.slow!.status).toBe('FAIL');
    expect(failed.steps.slow!.attempts.at(-1)!.status).toBe('FAIL');
    expect(failed.steps.slow!.message).toMatch(/SIGTERM|CANCELLED|interrupted/i);
    expect(failed.steps.last).toBeUndefined();
    expect(jobsOf(runId).find(([, step]) => step === 'last')?.[2]).toBe('CANCELLED');

    rmSync(join(cwd, 'slow.flag'));
    const retry = await cli(['retry', runId, '-c', 'slurm.yaml', '--json'], cwd, {}, 200_000);
    expect(retry.code, retry.stderr.slice(-3000)).toBe(0);
    const log = (JSON.parse(retry.stdout.trimEnd().split('\n').at(-1)!) as { run_log: RunLog }).run_log;
    expect(log.status).toBe('SUCCESS');
    expect(log.steps.first!.attempts).toHaveLength(1); // skipped: succeeded before
    expect(log.steps.slow!.attempts.map((a) => a.status)).toEqual(['FAIL', 'SUCCESS']);
    expect(log.steps.last!.status).toBe('SUCCESS');
    expect(log.steps.slow!.code_identities.some((i) => i.code_identifier_type === 'slurm' && i.code_identifier !== slowJob)).toBe(true);
  }, 240_000);

  it('Ctrl-C cancels the run\'s jobs and the run ends FAIL, with the step that was running recorded', async () => {
    // polled slowly, the runner is typically still waiting to hear that `first` ended when
    // `slow` (submitted ahead) starts: the step it never reached must still be recorded
    const cwd = setupSlow(SLURM_CONFIG.replace('poll_interval: 0.25', 'poll_interval: 4'));
    const runId = `slurm-int-${Date.now().toString(36)}`;
    const run = startRun(cwd, runId);
    await until('the slow step to run', 180_000, () => jobsOf(runId).find(([, step, state]) => step === 'slow' && state === 'RUNNING'));
    run.kill('SIGINT');
    const { code, stderr } = await run.done;
    expect(code, stderr).toBe(1);
    const states = jobsOf(runId);
    expect(states.filter(([, , state]) => ['PENDING', 'RUNNING'].includes(state)), JSON.stringify(states)).toEqual([]);
    const log = await readRunLog(cwd, runId);
    expect(log.status).toBe('FAIL');
    expect(log.steps.slow?.status, JSON.stringify(log.steps)).toBe('FAIL');
    expect(log.steps.slow!.message).toMatch(/interrupted/);
    // the step's output went to the run's Slurm log folder
    expect(existsSync(join(cwd, '.slurm_logs', runId, 'job.sh'))).toBe(true);
    expect(readFileSync(join(cwd, '.slurm_logs', runId, 'job.sh'), 'utf8')).toContain('exec ');
  }, 240_000);
});

function lastJson<T>(stdout: string): T {
  return JSON.parse(stdout.trimEnd().split('\n').at(-1)!) as T;
}

describe('slurm job executor', () => {
  const JOB_CONFIG = 'job-executor: {type: slurm, config: {poll_interval: 0.25}}\nrun-log-store: {type: chunked-fs}\n';
  for (const [job, status] of [
    ['examples/11-jobs/passing_parameters_typescript.yaml', 'SUCCESS'],
    ['examples/11-jobs/failing.yaml', 'FAIL'],
  ] as const) {
    it(`${job}: the task runs as a Slurm job, same outcome as local`, async () => {
      const [local, slurm] = await Promise.all(
        [undefined, JOB_CONFIG].map(async (config) => {
          const cwd = makeWorkdir();
          if (config) writeFileSync(join(cwd, 'job.yaml'), config);
          const r = await cli(['execute-job', job, '--json', ...(config ? ['-c', 'job.yaml'] : [])], cwd);
          return { ...r, log: lastJson<{ run_log: RunLog }>(r.stdout).run_log };
        }),
      );
      expect(slurm!.code, slurm!.stderr.slice(-2000)).toBe(status === 'SUCCESS' ? 0 : 1);
      expect(slurm!.log.status).toBe(local!.log.status);
      expect(slurm!.log.job!.status).toBe(status);
      expect(slurm!.log.job!.attempts.length).toBe(local!.log.job!.attempts.length);
      const plain = (log: RunLog) => Object.fromEntries(Object.entries(log.parameters).map(([k, p]) => [k, p.kind === 'object' ? p.kind : p.value]));
      expect(plain(slurm!.log)).toEqual(plain(local!.log));
      expect(slurm!.log.job!.code_identities.map((c) => c.code_identifier_type)).toEqual(['git', 'slurm']);
    }, 240_000);
  }
});

describe('slurm detach: true / --detach', () => {
  it('submits a driver job and returns at once; the driver job completes the run in the cluster', async () => {
    const cwd = makeWorkdir();
    writeFileSync(join(cwd, 'detach.yaml'), SLURM_CONFIG.replace('poll_interval: 0.25', 'poll_interval: 0.25, detach: true'));
    const runId = `slurm-detach-${Date.now().toString(36)}`;
    const started = await cli(['execute', 'examples/02-sequential/traversal.yaml', '-c', 'detach.yaml', '--run-id', runId, '--json'], cwd);
    expect(started.code, started.stderr).toBe(0);
    expect(lastJson<{ status: string }>(started.stdout).status).toBe('PROCESSING');
    expect(started.stderr).toMatch(/handed to Slurm job \d+/);
    const driver = jobsOf(runId).find(([, step]) => step === 'driver');
    expect(driver).toBeDefined();
    const log = await until('the detached run to end', 180_000, () => {
      if (jobsOf(runId).some(([, , state]) => ['PENDING', 'RUNNING', 'COMPLETING'].includes(state))) return undefined;
      return true;
    }).then(() => readRunLog(cwd, runId, 'detach.yaml'));
    expect(log.status).toBe('SUCCESS');
    const local = await runUnder('local', 'examples/02-sequential/traversal.yaml');
    expect(signature(log)).toEqual(signature(local.runLog));
  }, 300_000);

  it('--detach does the same with a config that does not say detach', async () => {
    const cwd = makeWorkdir();
    writeFileSync(join(cwd, 'slurm.yaml'), SLURM_CONFIG);
    const runId = `slurm-detach-flag-${Date.now().toString(36)}`;
    const started = await cli(['execute', 'examples/02-sequential/traversal.yaml', '-c', 'slurm.yaml', '--run-id', runId, '--detach', '--json'], cwd);
    expect(started.code, started.stderr).toBe(0);
    expect(lastJson<{ status: string }>(started.stdout).status).toBe('PROCESSING');
    expect(started.stderr).toMatch(/handed to Slurm job \d+/);
    const log = await until('the detached run to end', 180_000, () => {
      if (jobsOf(runId).some(([, , state]) => ['PENDING', 'RUNNING', 'COMPLETING'].includes(state))) return undefined;
      return true;
    }).then(() => readRunLog(cwd, runId));
    expect(log.status).toBe('SUCCESS');
    expect(log.run_config['pipeline-executor']).toEqual({ type: 'slurm', config: { poll_interval: 0.25 } });
  }, 300_000);
});
