/**
 * Two "machines" sharing nothing but a bucket: a run started in working directory A is listed,
 * shown, diffed and retried from working directory B, which has the pipeline and the config (as
 * a checkout of the same project would) but no run-log folder and no catalog: the run log, the
 * catalog files the retried step gets, and the step cache all come from the bucket (s3rver on
 * loopback). Also: the run log, `runs show` and the output never hold the credentials, and bad
 * access settings are one exit-2 line before any step runs.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunLog } from '../../src/runlog/types.js';
import { cli, type CliResult } from '../executors/_emulate.js';
import { parseJsonSummary } from '../examples/_run.js';
import { startS3, type TestS3 } from '../_s3.js';

const PIPELINE = `dag:
  start_at: make
  steps:
    make:
      type: task
      command_type: shell
      command: mkdir -p data && echo "made once" > data/a.txt && echo made >> made.log
      cache: true
      catalog:
        put: [data/a.txt]
      next: check
    check:
      type: task
      command_type: shell
      command: test -z "$FAIL_NOW" && grep -q "made once" data/a.txt
      catalog:
        get: [data/a.txt]
      next: success
`;

const SECRET = 'S3RVER';
const CONFIG = `run-log-store:
  type: chunked-s3
  config:
    bucket: machines/runs
    endpoint_url: \${S3_ENDPOINT}
    aws_access_key_id: \${S3_KEY}
    aws_secret_access_key: \${S3_SECRET}
catalog:
  type: minio
  config:
    bucket: machines/catalog
    endpoint_url: \${S3_ENDPOINT}
    aws_access_key_id: \${S3_KEY}
    aws_secret_access_key: \${S3_SECRET}
`;

let s3: TestS3;
let env: Record<string, string>;
const dirs: string[] = [];
const machine = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'runnable-machine-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'pipeline.yaml'), PIPELINE);
  writeFileSync(join(dir, 'runnable-config.yaml'), CONFIG);
  return dir;
};
const json = (r: CliResult): { run_id: string; status: string; run_log: RunLog } => {
  const summary = parseJsonSummary(r.stdout);
  if (!summary) throw new Error(`no JSON summary (exit ${r.code}): ${r.stderr.slice(-2000)}`);
  return summary as never;
};

let a: string;
let b: string;
let failed: ReturnType<typeof json>;
let second: ReturnType<typeof json>;

beforeAll(async () => {
  s3 = await startS3(['machines']);
  env = { S3_ENDPOINT: s3.endpoint, S3_KEY: 'S3RVER', S3_SECRET: SECRET };
  a = machine();
  b = machine();
  failed = json(await cli(['execute', 'pipeline.yaml', '--json', '--run-id', 'first-run'], a, { ...env, FAIL_NOW: '1' }));
  second = json(await cli(['execute', 'pipeline.yaml', '--json', '--run-id', 'second-run'], b, env));
}, 300_000);
afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await s3.close();
});

describe('a run started in A, seen and continued from B through the bucket alone', () => {
  it('A ran make and failed at check; nothing of the run is on either disk', () => {
    expect(failed.status).toBe('FAIL');
    expect(failed.run_log.steps.make!.status).toBe('SUCCESS');
    expect(failed.run_log.steps.check!.status).toBe('FAIL');
    for (const dir of [a, b]) expect(existsSync(join(dir, '.run_log_store')) || existsSync(join(dir, '.catalog'))).toBe(false);
  });

  it("B's fresh run of the same pipeline is a cache hit for make: the step cache lives in the bucket", () => {
    expect(second.status).toBe('SUCCESS');
    const attempt = second.run_log.steps.make!.attempts[0]!;
    expect(attempt.cache).toMatchObject({ status: 'hit', source_run: 'first-run' });
    expect(existsSync(join(b, 'made.log'))).toBe(false); // not run in B: restored
    expect(readFileSync(join(b, 'data/a.txt'), 'utf8')).toBe('made once\n');
  });

  it('B lists and shows the run from A', async () => {
    const list = await cli(['runs', 'list', '--json'], b, env);
    expect(list.code, list.stderr).toBe(0);
    const ids = (JSON.parse(list.stdout) as { run_id: string }[]).map((r) => r.run_id);
    expect(ids).toEqual(expect.arrayContaining(['first-run', 'second-run']));
    const show = await cli(['runs', 'show', 'first-run'], b, env);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/check/);
    expect(show.stdout).toMatch(/FAIL/);
    const shown = await cli(['runs', 'show', 'first-run', '--json'], b, env);
    expect((JSON.parse(shown.stdout) as RunLog).run_config['run-log-store']).toMatchObject({ type: 'chunked-s3', config: { aws_secret_access_key: '${S3_SECRET}' } });
  });

  it('B diffs the two runs', async () => {
    const diff = await cli(['runs', 'diff', 'first-run', 'second-run'], b, env);
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toMatch(/check/);
    expect(diff.stdout).toMatch(/FAIL/);
  });

  it('B retries the run from A: make is skipped, check gets data/a.txt from the bucket and succeeds', async () => {
    rmSync(join(b, 'data'), { recursive: true, force: true });
    const retried = json(await cli(['retry', 'first-run', '--json'], b, env));
    expect(retried.status).toBe('SUCCESS');
    expect(retried.run_log.steps.make!.attempts).toHaveLength(1);
    expect(retried.run_log.steps.check!.attempts.map((t) => t.status)).toEqual(['FAIL', 'SUCCESS']);
    expect(retried.run_log.steps.check!.data_catalog).toContainEqual(expect.objectContaining({ name: 'data/a.txt', stage: 'get', catalog_handler_location: 's3://machines/catalog' }));
    expect(readFileSync(join(b, 'data/a.txt'), 'utf8')).toBe('made once\n');
    // and A sees the retried run as B left it
    const fromA = await cli(['runs', 'show', 'first-run', '--json'], a, env);
    expect((JSON.parse(fromA.stdout) as RunLog).status).toBe('SUCCESS');
  });

  it('never shows the credentials: run log, runs show, output', async () => {
    const literal = machine();
    writeFileSync(join(literal, 'runnable-config.yaml'), CONFIG.replaceAll('${S3_SECRET}', 'literal-s3cret-value'));
    const r = await cli(['execute', 'pipeline.yaml', '--json', '--run-id', 'literal-run'], literal, env);
    expect(json(r).status).toBe('SUCCESS');
    const show = await cli(['runs', 'show', 'literal-run', '--json'], literal, env);
    for (const text of [r.stdout, r.stderr, show.stdout, show.stderr]) expect(text).not.toContain('literal-s3cret-value');
    expect(show.stdout).toContain('***');
  });
});

describe('access settings checked before any step runs: one line, exit 2, nothing written', () => {
  const attempt = async (config: string, extra: Record<string, string> = {}) => {
    const dir = machine();
    writeFileSync(join(dir, 'runnable-config.yaml'), config);
    const r = await cli(['execute', 'pipeline.yaml'], dir, { ...env, ...extra });
    expect(r.code).toBe(2);
    expect(existsSync(join(dir, 'made.log'))).toBe(false);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(r.stderr).not.toMatch(/NodeVersionSupportWarning|at .*\.js:\d+/);
    return r.stderr;
  };

  it('a missing bucket', async () => {
    expect(await attempt(CONFIG.replace('machines/runs', 'no-such-bucket/runs'))).toMatch(/runnable-config\.yaml.*run-log-store\.config\.bucket.*bucket 'no-such-bucket' does not exist/);
  });

  it('refused credentials', async () => {
    const stderr = await attempt(CONFIG, { S3_KEY: 'NOT-A-KEY', S3_SECRET: 'some-s3cret' });
    expect(stderr).toMatch(/access denied/);
    expect(stderr).not.toMatch(/NOT-A-KEY|some-s3cret/);
  });

  it('an unreachable endpoint', async () => {
    expect(await attempt(CONFIG, { S3_ENDPOINT: 'http://127.0.0.1:9' })).toMatch(/endpoint cannot be reached/);
  });
});
