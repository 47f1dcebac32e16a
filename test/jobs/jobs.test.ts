/**
 * Jobs (SPEC §1 `execute-job`, §5 `job`), in real runs: YAML and SDK jobs, shell and TS tasks,
 * through the CLI and the library. A job's run log has no steps; its `job` section holds the
 * task's attempts and catalog, its `parameters` end with what the task returned. Exit codes as
 * `execute`: 0 success, 1 a failed task, 2 bad input (a catalog `get`) with no run log.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunnableError } from '../../src/errors.js';
import { dagHash } from '../../src/graph/hash.js';
import { executeJob, jobPipeline } from '../../src/runner/job.js';
import type { RunLog } from '../../src/runlog/types.js';
import { job, JobFailedError, metric, object, pipeline, shell, stub, task } from '../../src/sdk/index.js';
import { parseJob } from '../../src/yaml/load-pipeline.js';
import { catalogFiles, cleanEnv, cli, readCatalog, readRunLog, REPO, runIds, values, workdir } from '../engine/_helpers.js';
import { broken, flaky, make_report } from './fixtures/functions.js';

const FIXTURES = join(REPO, 'test', 'jobs', 'fixtures');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const SHELL_JOB = `
job:
  type: task
  command_type: shell
  command: |
    mkdir -p out
    echo "rows=3" > out/report.txt
    echo "made the report"
    export rows=3
    export score=0.5
  returns: [rows, {name: score, kind: metric}]
  catalog:
    put: [out/report.txt]
`;

async function executeJobCli(cwd: string, file: string, extra: string[] = []): Promise<{ code: number | null; stderr: string; log?: RunLog }> {
  const r = await cli(['execute-job', file, '--json', ...extra], cwd);
  const last = r.stdout.trim().split('\n').at(-1);
  const summary = last?.startsWith('{') ? (JSON.parse(last) as { run_id: string; run_log: RunLog }) : undefined;
  return { code: r.code, stderr: r.stderr, log: summary && readRunLog(cwd, summary.run_id) };
}

describe('a YAML shell job through the CLI', () => {
  it('records the job section, returns as parameters and the catalog put', async () => {
    const cwd = workdir({ 'job.yaml': SHELL_JOB, 'params.yaml': 'given: 1\n' });
    const { code, log } = await executeJobCli(cwd, 'job.yaml', ['-p', 'params.yaml', '--run-id', 'shell-job', '--tag', 't1']);

    expect(code).toBe(0);
    expect(log).toMatchObject({ run_id: 'shell-job', tag: 't1', status: 'SUCCESS', steps: {} });
    expect(log!.run_config).toMatchObject({ job: 'job.yaml', 'job-executor': { type: 'local', config: {} } });
    expect(log!.dag_hash).toBe(dagHash(jobPipeline(parseJob(SHELL_JOB, 'job.yaml')).graph));
    expect(values(log!.parameters)).toEqual({ given: 1, rows: 3, score: 0.5 });

    const j = log!.job!;
    expect(j).toMatchObject({ status: 'SUCCESS', message: '', mock: false });
    expect(j.code_identities).toHaveLength(1);
    expect(j.code_identities[0]).toHaveProperty('code_identifier_type', 'git');
    expect(j.attempts).toHaveLength(1);
    const a = j.attempts[0]!;
    expect(a).toMatchObject({ attempt_number: 1, status: 'SUCCESS' });
    expect(Date.parse(a.end_time)).toBeGreaterThanOrEqual(Date.parse(a.start_time));
    expect(values(a.output_parameters)).toEqual({ rows: 3, score: 0.5 });
    expect(values(a.user_defined_metrics)).toEqual({ score: 0.5 });
    expect(j.data_catalog).toEqual([
      {
        name: 'out/report.txt',
        data_hash: sha256('rows=3\n'),
        catalog_relative_path: 'shell-job/out/report.txt',
        catalog_handler_location: join(cwd, '.catalog'),
        stage: 'put',
      },
    ]);
    expect(catalogFiles(cwd, 'shell-job')).toEqual(['.logs/job.attempt-1.log', 'out/report.txt']);
    expect(readCatalog(cwd, 'shell-job', '.logs/job.attempt-1.log')).toContain('made the report');

    const show = await cli(['runs', 'show', 'shell-job'], cwd);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^  job\n    job +task +SUCCESS \S+\n(      log \S+\n)?      put out\/report\.txt [0-9a-f]{12}$/m);
  });

  it('store_copy: false records the hash without copying', async () => {
    const yaml = SHELL_JOB.replace('put: [out/report.txt]', 'put: [out/report.txt]\n    store_copy: false');
    const cwd = workdir({ 'job.yaml': yaml });
    const { code, log } = await executeJobCli(cwd, 'job.yaml', ['--run-id', 'no-copy']);
    expect(code).toBe(0);
    expect(log!.job!.data_catalog.map((d) => [d.name, d.data_hash])).toEqual([['out/report.txt', sha256('rows=3\n')]]);
    expect(catalogFiles(cwd, 'no-copy')).toEqual(['.logs/job.attempt-1.log']);
  });

  it('a failing task: exit 1, job FAIL with its message, no returns, nothing put', async () => {
    const yaml = 'job:\n  command_type: shell\n  command: echo "going down" >&2; exit 4\n  returns: [never]\n  catalog: {put: [nothing.txt]}\n';
    const cwd = workdir({ 'job.yaml': yaml });
    const { code, log, stderr } = await executeJobCli(cwd, 'job.yaml');
    expect(code).toBe(1);
    expect(log!.status).toBe('FAIL');
    expect(log!.job).toMatchObject({ status: 'FAIL', data_catalog: [] });
    expect(log!.job!.message).toContain('exit code 4');
    expect(log!.job!.message).toContain('going down');
    expect(log!.parameters).toEqual({});
    expect(stderr).toMatch(/✗ job/);
  });

  it('a catalog get is bad input: exit 2 naming the line, no run log', async () => {
    const yaml = 'job:\n  command_type: shell\n  command: cat in.txt\n  catalog:\n    get: [in.txt]\n    put: [out.txt]\n';
    const cwd = workdir({ 'job.yaml': yaml });
    const r = await cli(['execute-job', 'job.yaml'], cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("job.yaml:5: step 'job', field 'job.catalog.get': a job's catalog takes 'put' only");
    expect(runIds(cwd)).toEqual([]);
    expect(existsSync(join(cwd, '.catalog'))).toBe(false);
  });

  it('other bad input is exit 2 too: a pipeline given as a job, a missing module, an unknown job executor', async () => {
    const cwd = workdir({
      'pipeline.yaml': 'dag:\n  start_at: a\n  steps:\n    a: {type: stub, next: success}\n',
      'missing.yaml': 'job:\n  command: nowhere.ts:fn\n',
      'ok.yaml': 'job:\n  command_type: shell\n  command: "true"\n',
      'config.yaml': 'job-executor:\n  type: argo\n',
    });
    const asJob = await cli(['execute-job', 'pipeline.yaml'], cwd);
    expect([asJob.code, asJob.stderr]).toEqual([2, expect.stringContaining("run it with 'runnable execute'")]);
    const missing = await cli(['execute-job', 'missing.yaml'], cwd);
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringContaining('module nowhere.ts not found')]);
    const executor = await cli(['execute-job', 'ok.yaml', '-c', 'config.yaml'], cwd);
    expect([executor.code, executor.stderr]).toEqual([2, expect.stringMatching(/job-executor\.type.*unknown type 'argo'; known types: local/)]);
    expect(runIds(cwd)).toEqual([]);
  });
});

describe('a YAML TypeScript job', () => {
  it('returns json, object and metric values as the run parameters', async () => {
    const yaml = `job:\n  command: ${join(FIXTURES, 'functions.ts')}:make_report\n  returns: [{name: summary, kind: object}, doubled, {name: score, kind: metric}]\n`;
    const cwd = workdir({ 'job.yaml': yaml, 'params.yaml': 'rows: 21\n' });
    const r = await executeJob({ job: 'job.yaml', parametersFile: 'params.yaml', cwd, env: cleanEnv(), runId: 'ts-job' });

    expect(r.status).toBe('SUCCESS');
    const params = r.runLog.parameters;
    expect(params.doubled).toEqual({ kind: 'json', value: 42 });
    expect(params.score).toEqual({ kind: 'metric', value: 0.75 });
    expect(params.summary!.kind).toBe('object');
    expect(existsSync(join(cwd, '.catalog', 'ts-job', String(params.summary!.value)))).toBe(true);
    expect(values(r.runLog.job!.attempts[0]!.input_parameters)).toEqual({ rows: 21 });
  });

  it('max_attempts: every attempt is recorded, the last one counts', async () => {
    const yaml = `job:\n  command: ${join(FIXTURES, 'functions.ts')}:flaky\n  returns: [said]\n  max_attempts: 3\n`;
    const cwd = workdir({ 'job.yaml': yaml });
    const r = await executeJob({ job: 'job.yaml', cwd, env: cleanEnv() });
    expect(r.status).toBe('SUCCESS');
    expect(r.runLog.job!.attempts.map((a) => [a.attempt_number, a.status])).toEqual([
      [1, 'FAIL'],
      [2, 'FAIL'],
      [3, 'SUCCESS'],
    ]);
    expect(r.runLog.job!.attempts[0]!.message).toContain('attempt 1 fails');
    expect(values(r.runLog.parameters)).toEqual({ said: 'third time' });
  });
});

describe('SDK jobs', () => {
  it('job(fn, options).execute() resolves to the run log', async () => {
    const cwd = workdir({ 'params.yaml': 'rows: 5\n' });
    const j = job(make_report, { returns: [object('summary'), 'doubled', metric('score')] });
    const log = await j.execute({ cwd, env: cleanEnv(), parametersFile: 'params.yaml', runId: 'sdk-job', tag: 'sdk' });
    expect(log).toMatchObject({ run_id: 'sdk-job', tag: 'sdk', status: 'SUCCESS', steps: {} });
    expect(values(log.parameters)).toMatchObject({ rows: 5, doubled: 10, score: 0.75 });
    expect(String(log.run_config.job)).toMatch(/test\/jobs\/jobs\.test\.ts$/);
    expect(existsSync(join(cwd, '.run_log_store', 'sdk-job.json'))).toBe(true);
  });

  it('job(shell(...)) with a catalog put, and its dag_hash is its YAML twin`s', async () => {
    const j = job(
      shell('mkdir -p out\necho "rows=3" > out/report.txt\necho "made the report"\nexport rows=3\nexport score=0.5\n', {
        name: 'report',
        returns: ['rows', metric('score')],
        catalog: { put: ['out/report.txt'] },
      }),
    );
    const cwd = workdir();
    const log = await j.execute({ cwd, env: cleanEnv(), runId: 'sdk-shell' });
    expect(log.job!.data_catalog.map((d) => [d.name, d.stage])).toEqual([['out/report.txt', 'put']]);
    expect(readFileSync(join(cwd, '.catalog', 'sdk-shell', 'out', 'report.txt'), 'utf8')).toBe('rows=3\n');
    expect(log.dag_hash).toBe(dagHash(jobPipeline(parseJob(SHELL_JOB, 'job.yaml')).graph));
    // and toYAML() is that twin
    const back = parseJob(j.toYAML(), 'from-sdk.yaml');
    expect(dagHash(jobPipeline(back).graph)).toBe(log.dag_hash);
  });

  it('a failed job rejects with JobFailedError holding the run log', async () => {
    const err = await job(broken).execute({ cwd: workdir(), env: cleanEnv(), runId: 'sdk-broken' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobFailedError);
    const failed = err as JobFailedError;
    expect(failed.runId).toBe('sdk-broken');
    expect(failed.message).toBe("job run 'sdk-broken' ended FAIL: Error: the job broke");
    expect(failed.runLog.job!.status).toBe('FAIL');
    expect(failed.location).toContain('sdk-broken');
  });

  it('misuse throws when the job is built', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => job(shell('cat in.txt', { name: 'x', catalog: { get: ['in.txt'] } })), /a job's catalog takes 'put' only/],
      [() => job(broken, { catalog: { get: ['a'], put: ['b'] } }), /takes 'put' only/],
      [() => job(stub('s') as never), /job\(\) takes a task step .* got a stub step/],
      [() => job(pipeline([stub('s')]) as never), /got a pipeline/],
      [() => job(shell('true', { name: 'x', onFailure: pipeline([stub('h')]) })), /a job is a single task/],
      [() => job(broken, { onFailure: pipeline([stub('h')]) } as never), /unknown option 'onFailure'/],
      [() => job(shell('true', { name: 'x' }), { name: 'y' } as never), /unknown option 'name'/],
      [() => job(() => 1), /anonymous function needs a step name/],
    ];
    for (const [build, message] of cases) {
      const e = (() => {
        try {
          build();
        } catch (x) {
          return x;
        }
        return undefined;
      })();
      expect(e, String(message)).toBeInstanceOf(RunnableError);
      expect((e as RunnableError).message).toMatch(message);
    }
    expect(job(task(flaky, { maxAttempts: 3 })).task).toMatchObject({ name: 'job', internalName: 'job', maxAttempts: 3 });
  });
});

describe('module jobs through the CLI', () => {
  it('runs a module whose default export is a job, or a function returning one', async () => {
    const cwd = workdir({ 'params.yaml': 'rows: 2\n' });
    const a = await executeJobCli(cwd, join(FIXTURES, 'job-module.ts'), ['-p', 'params.yaml']);
    expect(a.code).toBe(0);
    expect(values(a.log!.parameters)).toMatchObject({ rows: 2, doubled: 4, score: 0.75 });
    expect(a.log!.run_config.job).toMatch(/test\/jobs\/fixtures\/job-module\.ts$/);
    const b = await executeJobCli(cwd, join(FIXTURES, 'job-factory.ts'));
    expect(b.code).toBe(0);
    expect(values(b.log!.parameters)).toEqual({ answer: 42 });
  });

  it('a module that does not export a job is exit 2', async () => {
    const cwd = workdir();
    const r = await cli(['execute-job', join(FIXTURES, 'not-a-job.ts')], cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("the default export is a pipeline, not a job: `export default job(...)` or a function returning one (run a pipeline with 'runnable execute')");
    expect(runIds(cwd)).toEqual([]);
  });
});
