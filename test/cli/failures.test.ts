/**
 * Readable failures through the built CLI (build first): the end-of-run summary names each failed
 * step with its whole error and its log file and prints the retry command; `runs show` shows whole
 * messages; process.exit() inside a TS step fails that step and leaves the runner and the run sound.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { cli, workdir } from '../engine/_helpers.js';

const pipeline = (command: string) => `
dag:
  start_at: hello
  steps:
    hello: {type: task, command_type: shell, command: 'echo hello-out', next: broken}
    broken: {type: task, command_type: typescript, command: '${command}', next: after}
    after: {type: task, command_type: shell, command: 'echo after-ran', next: success}
`;

describe.concurrent('failed runs', () => {
  it('a TS syntax error: refused before the run; met in a run (a dynamic import), the summary shows the esbuild error itself, the log file and the retry command with -c', async ({ expect }) => {
    const cwd = workdir({
      'p.yaml': pipeline('bad.ts:oops'),
      'lazy.yaml': pipeline('lazy.ts:oops'),
      'bad.ts': 'export function oops(: number) { return 1 }\n',
      'lazy.ts': "export async function oops() {\n  return (await import('./bad.ts')).oops(1);\n}\n",
      'cfg.yaml': 'run-log-store: {type: file-system}\n',
    });
    // execute loads each step's module before the run (as validate does): exit 2, the error on one line, no run
    const refused = await cli(['execute', 'p.yaml', '-c', 'cfg.yaml', '--run-id', 'refused-run'], cwd);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/step 'broken', field 'command': cannot load module bad\.ts: Transform failed with 1 error: .*bad\.ts:1:\d+: ERROR: Expected identifier/);
    expect(existsSync(join(cwd, '.run_log_store', 'refused-run.json'))).toBe(false);
    const r = await cli(['execute', 'lazy.yaml', '-c', 'cfg.yaml', '--run-id', 'syntax-run'], cwd);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/failed\s+broken/);
    expect(r.stderr).toContain('Transform failed with 1 error:');
    expect(r.stderr).toMatch(/bad\.ts:1:\d+: ERROR: Expected identifier/);
    expect(r.stderr).toContain('runnable retry syntax-run -c cfg.yaml');
    const show = await cli(['runs', 'show', 'syntax-run', '-c', 'cfg.yaml'], cwd);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/ERROR: Expected identifier/);
  });

  it('process.exit() in a TS step fails that step with a clear message; the run ends FAIL and retry continues it', async ({ expect }) => {
    const cwd = workdir({
      'p.yaml': pipeline('steps.ts:quit'),
      'steps.ts': `export function quit() {\n  console.log('before exit');\n  try { process.exit(3); } catch { /* swallowed: still an exit */ }\n  return 1;\n}\n`,
    });
    const r = await cli(['execute', 'p.yaml', '--run-id', 'exit-run'], cwd);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/called process\.exit\(3\): a typescript step runs inside the runner's process/);
    const logLine = /log\s+(\S+broken\.attempt-1\.log)/.exec(r.stderr);
    expect(logLine, r.stderr).not.toBeNull();
    expect(existsSync(logLine![1]!)).toBe(true);
    expect(readFileSync(logLine![1]!, 'utf8')).toContain('before exit');
    const retryLine = /retry with\s+(runnable retry \S+)/.exec(r.stderr);
    expect(retryLine?.[1]).toBe('runnable retry exit-run');
    const log = JSON.parse(readFileSync(join(cwd, '.run_log_store', 'exit-run.json'), 'utf8'));
    expect(log.status).toBe('FAIL');
    expect(log.steps.after).toBeUndefined();

    // fix the step, then run the printed command
    writeFileSync(join(cwd, 'steps.ts'), `export function quit() { return 1; }\n`);
    const retry = await cli(retryLine![1]!.split(' ').slice(1), cwd);
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.stdout).toContain('after-ran');
  });

  it('a successful run prints no failure section', async ({ expect }) => {
    const cwd = workdir({ 'p.yaml': pipeline('ok.ts:fine'), 'ok.ts': 'export const fine = () => 1;\n' });
    const r = await cli(['execute', 'p.yaml'], cwd);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('retry with');
  });
});

describe.concurrent('help', () => {
  it('hides the plumbing commands from the top-level list; they keep their own --help', async ({ expect }) => {
    const cwd = workdir();
    const top = await cli(['--help'], cwd);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('execute');
    expect(top.stdout).not.toMatch(/execute-single-node|^\s+fan\b/m);
    expect(top.stdout).not.toMatch(/^\s+open-run\b/m);
    for (const cmd of ['execute-single-node', 'fan', 'open-run']) {
      const own = await cli([cmd, '--help'], cwd);
      expect(own.code).toBe(0);
      expect(own.stdout).toContain(`Usage: runnable ${cmd}`);
      expect(own.stdout).toMatch(new RegExp(`Examples?:\\n  runnable ${cmd} `));
    }
  });

  it('every command\'s --help ends with an example of it', async ({ expect }) => {
    const cwd = workdir();
    for (const cmd of ['execute', 'execute-job', 'retry', 'validate', 'graph', 'timeline', 'runs', 'runs list', 'runs show', 'runs diff', 'runs delete', 'runs prune']) {
      const own = await cli([...cmd.split(' '), '--help'], cwd);
      expect(own.code, cmd).toBe(0);
      expect(own.stdout, cmd).toMatch(new RegExp(`Examples?:\\n  runnable ${cmd.split(' ')[0]} `));
    }
    expect((await cli(['schema', '--help'], cwd)).stdout).toMatch(/Example: runnable schema --config/);
  });
});
