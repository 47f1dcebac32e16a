/**
 * `Pipeline.execute()` and `Job.execute()` report as the CLI does: the same reporter
 * (views/reporter.ts) prints each step and the summary on stderr unless `quiet`; an `observer`
 * follows the run from the program; a failed run rejects with a RunnableError (E_RUN_FAILED)
 * carrying the run id and the run log.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RunnableError } from '../../src/errors.js';
import { JobFailedError, PipelineFailedError, RunFailedError, job, pipeline, shell, task, type ExecuteObserver } from '../../src/sdk/index.js';
import { boom, start } from '../fixtures/sdk/functions.js';
import { cleanEnv, tmpProject } from './_helpers.js';

const REPO = join(import.meta.dirname, '..', '..');
/** the repository's tsx, as `--import tsx` in a project that installed it */
const TSX = pathToFileURL(join(REPO, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs')).href;

function recorder(): { events: string[]; observer: ExecuteObserver } {
  const events: string[] = [];
  return {
    events,
    observer: {
      runStarted: ({ runId }) => events.push(`run ${runId}`),
      stepStarted: (e) => events.push(`start ${e.internalName}`),
      stepFinished: (e) => events.push(`end ${e.internalName} ${e.status}`),
      output: (name, stream, chunk) => events.push(`out ${name} ${stream} ${String(chunk).trim()}`),
      runFinished: ({ runId, status }) => events.push(`done ${runId} ${status}`),
    },
  };
}

describe('execute() options', () => {
  it('observer: the run, its steps and their output, in order, also when quiet', async () => {
    const { events, observer } = recorder();
    const p = pipeline([task(start, { returns: ['x'] }), shell('echo "x is $x"', { name: 'show' })]);
    const log = await p.execute({ cwd: tmpProject(), env: cleanEnv(), runId: 'sdk-observed', quiet: true, observer });
    expect(log.run_id).toBe('sdk-observed');
    expect(events).toEqual([
      'run sdk-observed',
      'start start',
      'end start SUCCESS',
      'start show',
      'out show 1 x is 10',
      'end show SUCCESS',
      'done sdk-observed SUCCESS',
    ]);
  });

  it('a failed run rejects with a RunnableError (E_RUN_FAILED) carrying the run id; PipelineFailedError stays its class', async () => {
    const { events, observer } = recorder();
    const err = await pipeline([task(boom)]).execute({ cwd: tmpProject(), env: cleanEnv(), runId: 'sdk-failed', quiet: true, observer }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunnableError);
    expect(err).toBeInstanceOf(RunFailedError);
    expect(err).toBeInstanceOf(PipelineFailedError);
    expect(err).not.toBeInstanceOf(JobFailedError);
    const e = err as PipelineFailedError;
    expect([e.code, e.runId, e.runLog.status]).toEqual(['E_RUN_FAILED', 'sdk-failed', 'FAIL']);
    expect(e.format()).toMatch(/^run 'sdk-failed' ended FAIL: step 'boom' failed/);
    expect(events.at(-1)).toBe('done sdk-failed FAIL');
    // bad input is another RunnableError, not a failed run
    expect(new RunnableError('E_SCHEMA', 'x')).not.toBeInstanceOf(RunFailedError);
  });

  it('a job: the same options, JobFailedError a RunnableError with the run id', async () => {
    const { events, observer } = recorder();
    const ok = await job(shell('echo hi', { name: 'hi' })).execute({ cwd: tmpProject(), env: cleanEnv(), runId: 'sdk-job', quiet: true, observer });
    expect(ok.run_id).toBe('sdk-job');
    expect(events).toContain('out job 1 hi');
    expect(events.at(-1)).toBe('done sdk-job SUCCESS');
    const err = (await job(shell('exit 3', { name: 'bad' })).execute({ cwd: tmpProject(), env: cleanEnv(), runId: 'sdk-job-fails', quiet: true }).catch((x: unknown) => x)) as JobFailedError;
    expect(err).toBeInstanceOf(JobFailedError);
    expect(err).toBeInstanceOf(RunnableError);
    expect([err.code, err.runId]).toEqual(['E_RUN_FAILED', 'sdk-job-fails']);
  });

  it('unknown or mistyped options are refused', async () => {
    const p = pipeline([shell('true', { name: 'ok' })]);
    await expect(p.execute({ quite: true } as never)).rejects.toThrow(/unknown option 'quite'/);
    await expect(p.execute({ cwd: tmpProject(), env: cleanEnv(), quiet: 'yes' as never })).rejects.toThrow(/quiet must be true or false/);
  });
});

describe('reporting as the CLI does', () => {
  const script = (quiet: boolean, fails: boolean) => `
import { pipeline, shell } from ${JSON.stringify(join(REPO, 'src/sdk/index.ts'))};
const p = pipeline([shell('echo from-the-task', { name: 'hello' }), shell('${fails ? 'exit 4' : 'true'}', { name: 'second' })]);
try { await p.execute({ runId: 'sdk-report', quiet: ${quiet} }); } catch (e) { console.log('caught', e.code, e.runId); }
`;
  const run = (quiet: boolean, fails = false) => {
    const cwd = tmpProject();
    writeFileSync(join(cwd, 'run.mts'), script(quiet, fails));
    return spawnSync(process.execPath, ['--import', TSX, 'run.mts'], { cwd, env: cleanEnv(), encoding: 'utf8', timeout: 25_000 });
  };

  it("logLevel: 'warning' prints no progress and, for a run that succeeds, no summary; 'debug' adds the configuration; a bad level is a TypeError", () => {
    const cwd = tmpProject();
    writeFileSync(
      join(cwd, 'run.mts'),
      `import { pipeline, shell } from ${JSON.stringify(join(REPO, 'src/sdk/index.ts'))};
const p = pipeline([shell('echo from-the-task', { name: 'hello' })]);
await p.execute({ runId: 'sdk-warning', logLevel: 'warning' });
console.error('--- debug');
await p.execute({ runId: 'sdk-debug', logLevel: 'debug' });
try { await p.execute({ logLevel: 'loud' }); } catch (e) { console.log(String(e)); }
`,
    );
    const r = spawnSync(process.execPath, ['--import', TSX, 'run.mts'], { cwd, env: { ...cleanEnv(), NO_COLOR: '1' }, encoding: 'utf8', timeout: 25_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('from-the-task');
    expect(r.stdout).toContain('TypeError: execute(): logLevel must be one of error, warning, info, debug');
    const [quiet, debug] = r.stderr.split('--- debug\n');
    expect(quiet).toBe('');
    expect(debug).toMatch(/^· pipeline-executor local$/m);
    expect(debug).toMatch(/^run sdk-debug SUCCESS$/m);
  });

  it('by default: steps, the task output and the summary, with the run id; a failure names the step and the retry command', () => {
    const ok = run(false);
    expect(ok.status).toBe(0);
    expect(ok.stderr).toMatch(/runnable run sdk-report started/);
    expect(ok.stderr).toMatch(/✓ hello \d/);
    expect(ok.stderr).toMatch(/run sdk-report SUCCESS/);
    expect(ok.stdout).toContain('from-the-task');
    const failed = run(false, true);
    expect(failed.stderr).toMatch(/✗ second/);
    expect(failed.stderr).toMatch(/failed\s+second/);
    expect(failed.stderr).toMatch(/retry with\s+runnable retry sdk-report/);
    expect(failed.stdout).toContain('caught E_RUN_FAILED sdk-report');
  });

  it('quiet: nothing printed', () => {
    const r = run(true);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('');
  });
});
