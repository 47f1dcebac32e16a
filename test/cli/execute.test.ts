/**
 * `runnable execute` through the built CLI (bin/runnable.js -> dist/; build first): exit codes,
 * --json, run ids, options and environment, colour. Each test works in its own temp directory.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import type { RunLog } from '../../src/runlog/types.js';
import { CLI, catalogFiles, cleanEnv, cli, readCatalog, readRunLog, runIds, step, values, workdir } from '../engine/_helpers.js';

const OK = `
dag:
  start_at: hello
  steps:
    hello: {type: task, command_type: shell, command: 'echo "shell-out $greeting"; echo shell-err >&2; export said=yes', returns: [said], next: ts}
    ts: {type: task, command: funcs.ts:hi, returns: [n], next: success}
`;
const BAD = `
dag:
  start_at: hello
  steps:
    hello: {type: task, command_type: shell, command: 'echo broken >&2; exit 5', next: success}
`;
const FUNCS = `export function hi() { console.log('ts-out'); return 3; }\n`;
const ANSI = /\x1b\[/;

const project = (files: Record<string, string> = {}) => workdir({ 'pipeline.yaml': OK, 'bad.yaml': BAD, 'funcs.ts': FUNCS, ...files });

// each test has its own directory: they run side by side (concurrent tests use the context's expect)
describe.concurrent('runnable execute', () => {
  it('exit 0 on success; task stdout on stdout; run id on stderr at start and end', async ({ expect }) => {
    const cwd = project();
    const r = await cli(['execute', 'pipeline.yaml'], cwd);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('shell-out');
    expect(r.stdout).toContain('ts-out');
    expect(r.stderr).toContain('shell-err');
    const [id] = runIds(cwd);
    expect(id).toMatch(/^[a-z0-9][a-z0-9-]*$/);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toContain(id);
    expect(lines[0]).toContain('started');
    expect(lines.find((l, i) => i > 0 && l.includes(id!) && l.includes('SUCCESS')), r.stderr).toBeDefined();
    expect(readRunLog(cwd, id!).status).toBe('SUCCESS');
    // every task's output is kept in the catalog, TS functions' console output included
    const logs = catalogFiles(cwd, id!).filter((f) => f.startsWith('.logs/'));
    expect(readCatalog(cwd, id!, logs.find((f) => f.includes('hello'))!)).toMatch(/shell-out[\s\S]*shell-err/);
    expect(readCatalog(cwd, id!, logs.find((f) => f.includes('ts'))!)).toContain('ts-out');
  });

  it('exit 1 when the run fails, with the step message on stderr', async ({ expect }) => {
    const cwd = project();
    const r = await cli(['execute', 'bad.yaml'], cwd);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('exit code 5');
    expect(r.stderr).toMatch(/FAIL/);
    const [id] = runIds(cwd);
    expect(step(readRunLog(cwd, id!), 'hello').message).toContain('broken');
  });

  it('exit 2 for bad input, one line, nothing written', async ({ expect }) => {
    const cwd = project({ 'invalid.yaml': 'dag:\n  start_at: nope\n  steps: {}\n' });
    for (const args of [['execute', 'invalid.yaml'], ['execute', 'missing.yaml'], ['execute', 'pipeline.yaml', '-p', 'nope.yaml'], ['execute', 'pipeline.yaml', '--run-id', 'Bad/Id']]) {
      const r = await cli(args, cwd);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
    expect(existsSync(join(cwd, '.run_log_store'))).toBe(false);
    expect(existsSync(join(cwd, '.catalog'))).toBe(false);
  });

  it('--json prints exactly one JSON object on stdout; task stdout goes to stderr', async ({ expect }) => {
    const cwd = project();
    const r = await cli(['execute', 'pipeline.yaml', '--json'], cwd, { RUNNABLE_PRM_greeting: 'hola' });
    expect(r.code).toBe(0);
    expect(r.stdout.endsWith('\n')).toBe(true);
    const out = JSON.parse(r.stdout) as { run_id: string; status: string; run_log: RunLog };
    expect(Object.keys(out).sort()).toEqual(['run_id', 'run_log', 'status']);
    expect(out.status).toBe('SUCCESS');
    expect(out.run_log.run_id).toBe(out.run_id);
    expect(out.run_log).toEqual(readRunLog(cwd, out.run_id));
    expect(values(out.run_log.parameters)).toEqual({ greeting: 'hola', said: 'yes', n: 3 });
    expect(r.stderr).toContain('shell-out hola');
    expect(r.stderr).toContain('ts-out');
    expect(r.stderr).toContain(out.run_id);

    const failed = await cli(['execute', 'bad.yaml', '--json'], cwd);
    expect(failed.code).toBe(1);
    expect((JSON.parse(failed.stdout) as { status: string }).status).toBe('FAIL');
  });

  it('--run-id is used; reusing it is exit 2 and leaves the first run alone', async ({ expect }) => {
    const cwd = project();
    const first = await cli(['execute', 'pipeline.yaml', '--run-id', 'my-run-1'], cwd);
    expect(first.code).toBe(0);
    const before = readFileSync(join(cwd, '.run_log_store', 'my-run-1.json'), 'utf8');
    expect(JSON.parse(before).run_id).toBe('my-run-1');

    const again = await cli(['execute', 'bad.yaml', '--run-id', 'my-run-1'], cwd);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('my-run-1');
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(readFileSync(join(cwd, '.run_log_store', 'my-run-1.json'), 'utf8')).toBe(before);
  });

  it('RUNNABLE_RUN_ID names the run; --run-id wins over it', async ({ expect }) => {
    const cwd = project();
    expect((await cli(['execute', 'pipeline.yaml'], cwd, { RUNNABLE_RUN_ID: 'from-env' })).code).toBe(0);
    expect((await cli(['execute', 'pipeline.yaml', '--run-id', 'from-flag'], cwd, { RUNNABLE_RUN_ID: 'from-env' })).code).toBe(0);
    expect(runIds(cwd).sort()).toEqual(['from-env', 'from-flag']);
  });

  it('-f PIPELINE, -p, -c, --tag and their environment variables', async ({ expect }) => {
    const cwd = project({
      'params.yaml': 'greeting: from-file\n',
      'other.yaml': 'greeting: from-env-file\n',
      'conf.yaml': 'run-log-store: {type: file-system, config: {log_folder: logs}}\n',
    });
    const r = await cli(['execute', '-f', 'pipeline.yaml', '-p', 'params.yaml', '-c', 'conf.yaml', '--tag', 'nightly', '--run-id', 'r1', '--json'], cwd);
    expect(r.code, r.stderr).toBe(0);
    const log = JSON.parse(readFileSync(join(cwd, 'logs', 'r1.json'), 'utf8')) as RunLog;
    expect(log.tag).toBe('nightly');
    expect(log.parameters.greeting!.value).toBe('from-file');
    expect(log.run_config.configuration_file).toBe('conf.yaml');

    const env = { RUNNABLE_PARAMETERS_FILE: 'other.yaml', RUNNABLE_CONFIGURATION_FILE: 'conf.yaml', RUNNABLE_RUN_TAG: 'env-tag' };
    expect((await cli(['execute', 'pipeline.yaml', '--run-id', 'r2'], cwd, env)).code).toBe(0);
    const log2 = JSON.parse(readFileSync(join(cwd, 'logs', 'r2.json'), 'utf8')) as RunLog;
    expect(log2.tag).toBe('env-tag');
    expect(log2.parameters.greeting!.value).toBe('from-env-file');
  });

  it('NO_COLOR: no ANSI escapes anywhere, even with FORCE_COLOR', async ({ expect }) => {
    const cwd = project();
    const plain = await cli(['execute', 'bad.yaml'], cwd, { NO_COLOR: '1', FORCE_COLOR: '1' });
    expect(plain.code).toBe(1);
    expect(plain.stderr).not.toMatch(ANSI);
    expect(plain.stdout).not.toMatch(ANSI);
    // the check can see colour when there is some
    const coloured = await cli(['execute', 'bad.yaml'], cwd, { NO_COLOR: undefined, FORCE_COLOR: '1' });
    expect(coloured.stderr).toMatch(ANSI);
  });

  it('SIGINT stops the run: the running step fails as interrupted, the run is FAIL, exit 1', async ({ expect }) => {
    const cwd = project({
      'slow.yaml': `
dag:
  start_at: wait
  steps:
    wait: {type: task, command_type: shell, command: 'echo waiting; sleep 30', next: never}
    never: {type: task, command_type: shell, command: 'touch never-ran', next: success}
`,
    });
    const child = spawn(process.execPath, [CLI, 'execute', 'slow.yaml', '--run-id', 'stopped'], { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('waiting')) child.kill('SIGINT');
    });
    const started = Date.now();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    const log = readRunLog(cwd, 'stopped');
    expect(log.status).toBe('FAIL');
    expect(step(log, 'wait').status).toBe('FAIL');
    expect(step(log, 'wait').message).toContain('SIGINT');
    expect(log.steps.never).toBeUndefined();
    expect(existsSync(join(cwd, 'never-ran'))).toBe(false);
  });
  it('records config values from ${VAR} as written: the value from the environment never reaches the run log', async ({ expect }) => {
    const cwd = project({ 'config.yaml': 'catalog:\n  type: file-system\n  config:\n    catalog_location: "${CATALOG_AT}"\n' });
    const r = await cli(['execute', 'pipeline.yaml', '-c', 'config.yaml', '--run-id', 'expanded'], cwd, { CATALOG_AT: 'cat-value-from-env' });
    expect(r.code, r.stderr).toBe(0);
    // the expanded value is used ...
    expect(existsSync(join(cwd, 'cat-value-from-env', 'expanded'))).toBe(true);
    // ... and only the template is recorded
    const text = readFileSync(join(cwd, '.run_log_store', 'expanded.json'), 'utf8');
    expect(text).not.toContain('cat-value-from-env');
    expect((JSON.parse(text) as RunLog).run_config['catalog']).toEqual({ type: 'file-system', config: { catalog_location: '${CATALOG_AT}' } });
  });
  it('--detach with an executor that runs the pipeline in this process: exit 2, nothing written', async ({ expect }) => {
    const cwd = project();
    const r = await cli(['execute', 'pipeline.yaml', '--detach'], cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--detach: the 'local' pipeline executor runs the pipeline from this process and cannot hand it over (slurm can)");
    expect(runIds(cwd)).toEqual([]);
  });
});

