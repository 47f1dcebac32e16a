/** `runnable runs list|show`, `validate` and `schema` through the built CLI (build first). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, runIds, workdir } from '../engine/_helpers.js';

const OK = `
dag:
  start_at: hello
  steps:
    hello: {type: task, command_type: shell, command: 'export n=2', returns: [n], max_attempts: 2, next: fan}
    fan:
      type: map
      iterate_on: items
      iterate_as: it
      next: success
      branch: {start_at: inner, steps: {inner: {type: stub, next: success}}}
`;
const BAD = `
dag:
  start_at: hello
  steps:
    hello: {type: task, command_type: shell, command: 'echo "went wrong" >&2; exit 1', next: success}
`;

let cwd: string;
beforeAll(async () => {
  cwd = workdir({ 'ok.yaml': OK, 'bad.yaml': BAD, 'invalid.yaml': OK.replace('next: fan', 'next: nowhere') });
  const env = { RUNNABLE_PRM_items: '["a", "b"]' };
  const [ok, bad] = await Promise.all([
    cli(['execute', 'ok.yaml', '--run-id', 'good-run', '--tag', 'release'], cwd, env),
    cli(['execute', 'bad.yaml', '--run-id', 'bad-run'], cwd, env),
  ]);
  expect(ok.code, ok.stderr).toBe(0);
  expect(bad.code, bad.stderr).toBe(1);
});

describe.concurrent('runnable runs', () => {
  it('list shows every run with its status', async ({ expect }) => {
    const r = await cli(['runs', 'list'], cwd);
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => l.split('\t'));
    expect(rows).toContainEqual(['good-run', 'SUCCESS', 'release']);
    expect(rows).toContainEqual(['bad-run', 'FAIL']);
    expect(rows).toHaveLength(2);

    const json = await cli(['runs', 'list', '--json'], cwd);
    expect(JSON.parse(json.stdout)).toEqual(
      expect.arrayContaining([
        { run_id: 'good-run', status: 'SUCCESS', tag: 'release' },
        { run_id: 'bad-run', status: 'FAIL', tag: '' },
      ]),
    );
  });

  it('list in an empty project prints nothing and succeeds', async ({ expect }) => {
    const r = await cli(['runs', 'list'], workdir());
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
  });

  it('show RUN_ID: a readable summary with steps, branches, attempts and parameters', async ({ expect }) => {
    const r = await cli(['runs', 'show', 'good-run'], cwd);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/run good-run SUCCESS/);
    expect(r.stdout).toContain('release');
    for (const name of ['hello', 'fan', 'fan.a.inner', 'fan.b.inner']) expect(r.stdout).toContain(name);
    expect(r.stdout).toMatch(/n \(json\) = 2/);
    expect(r.stdout).not.toMatch(/\x1b\[/);

    const bad = await cli(['runs', 'show', 'bad-run'], cwd);
    expect(bad.stdout).toMatch(/run bad-run FAIL/);
    expect(bad.stdout).toContain('exit code 1');
  });

  it('show --json prints the run log, equal to the file', async ({ expect }) => {
    const r = await cli(['runs', 'show', 'good-run', '--json'], cwd);
    expect(r.code).toBe(0);
    const file = JSON.parse(readFileSync(join(cwd, '.run_log_store', 'good-run.json'), 'utf8'));
    expect(JSON.parse(r.stdout)).toEqual(file);
  });

  it('show of an unknown run: exit 2, one line', async ({ expect }) => {
    const r = await cli(['runs', 'show', 'no-such-run'], cwd);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('no-such-run');
  });
});

describe.concurrent('runnable validate / schema', () => {
  it('validate: 0 for a valid pipeline, 2 and one line naming the problem otherwise', async ({ expect }) => {
    // the map's iterate_on must be set, as execute sets it above (validate follows parameters)
    const ok = await cli(['validate', 'ok.yaml'], cwd, { RUNNABLE_PRM_items: '["a", "b"]' });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain('valid');

    const bad = await cli(['validate', 'invalid.yaml'], cwd);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('nowhere');
    expect(bad.stderr).toContain('invalid.yaml');

    const missing = await cli(['validate', 'missing.yaml'], cwd);
    expect(missing.code).toBe(2);
  });

  it('validate refuses what execute would refuse before running: a missing module or reducer', async ({ expect }) => {
    const dir = workdir({
      'task.yaml': 'dag:\n  start_at: a\n  steps:\n    a: {type: task, command: gone.ts:fn, next: success}\n',
      'reducer.yaml': OK.replace('iterate_as: it', 'iterate_as: it\n      reducer: gone.ts:sum'),
    });
    for (const file of ['task.yaml', 'reducer.yaml']) {
      const v = await cli(['validate', file], dir);
      expect(v.code, v.stderr).toBe(2);
      expect(v.stderr).toContain('gone.ts');
      const e = await cli(['execute', file], dir, { RUNNABLE_PRM_items: '[1]' });
      expect(e.code, e.stderr).toBe(2);
      expect(e.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(runIds(dir)).toEqual([]);
  });

  it('schema prints the JSON Schema of the pipeline YAML', async ({ expect }) => {
    const r = await cli(['schema'], cwd);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(typeof schema).toBe('object');
    expect(JSON.stringify(schema)).toContain('start_at');
    expect(JSON.stringify(schema)).toContain('iterate_on');
  });
});
