/**
 * The global `--log-level` / `--quiet` / `--verbose` (src/views/log-level.ts) through the built
 * CLI: what each level shows for a run that succeeds and one that fails, before or after the
 * command's name, and bad values (exit 2, one line).
 */
import { describe, it } from 'vitest';
import { cli, workdir } from '../engine/_helpers.js';

const OK = `
dag:
  start_at: hello
  steps:
    hello: {type: task, command_type: shell, command: 'echo step-output', next: success}
`;
const BAD = `
dag:
  start_at: hello
  steps:
    hello: {type: task, command_type: shell, command: 'echo step-output; echo broken >&2; exit 5', next: success}
`;
const EMULATE = 'pipeline-executor: {type: emulate}\n';
const project = () => workdir({ 'ok.yaml': OK, 'bad.yaml': BAD, 'emulate.yaml': EMULATE });
const runnableLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('runnable'));

describe.concurrent('--log-level, --quiet, --verbose', () => {
  it('info (the default): the run line, a line per step and the summary', async ({ expect }) => {
    const r = await cli(['execute', 'ok.yaml'], project());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('step-output');
    expect(r.stderr).toMatch(/^runnable run \S+ started$/m);
    expect(r.stderr).toMatch(/^✓ hello /m);
    expect(r.stderr).toMatch(/^run \S+ SUCCESS$/m);
    expect(r.stderr).not.toMatch(/^· /m);
  });

  it.for(['-q', '--quiet', '--log-level warning', '--log-level WARNING', '--log-level error'])('%s: a run that succeeds prints only its steps\' output', async (words, { expect }) => {
    const flag = words.split(' ');
    for (const args of [[...flag, 'execute', 'ok.yaml'], ['execute', 'ok.yaml', ...flag]]) {
      const r = await cli(args, project());
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('step-output\n');
      expect(r.stderr, args.join(' ')).toBe('');
    }
  });

  it('--quiet: a failed run still says what failed, where its log is and how to retry it', async ({ expect }) => {
    const r = await cli(['-q', 'execute', 'bad.yaml'], project());
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/started|^✗/m);
    expect(r.stderr).toMatch(/^run \S+ FAIL$/m);
    expect(r.stderr).toMatch(/failed {6}hello/);
    expect(r.stderr).toMatch(/log {2}\S+hello\.attempt-1\.log/);
    expect(r.stderr).toMatch(/retry with {2}runnable retry \S+/);
    expect(r.stderr).toContain('broken'); // the step's own stderr is its output, shown at every level
  });

  it('--verbose: the resolved configuration and each command a launcher starts, as dimmed "·" lines', async ({ expect }) => {
    const r = await cli(['execute', 'ok.yaml', '-c', 'emulate.yaml', '--verbose'], project());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^· config emulate\.yaml$/m);
    expect(r.stderr).toMatch(/^· pipeline-executor emulate$/m);
    expect(r.stderr).toMatch(/^· run-log-store file-system at \S+\.run_log_store\/\S+\.json$/m);
    expect(r.stderr).toMatch(/^· catalog file-system at \S+\.catalog\/\S+$/m);
    expect(r.stderr).toMatch(/^· hello: \S+node \S+ execute-single-node \S+ ok\.yaml hello -c emulate\.yaml --quiet$/m);
    expect(r.stderr).toMatch(/^✓ hello /m); // and everything info shows
  });

  it('retry, validate and runs follow the level too', async ({ expect }) => {
    const cwd = project();
    const failed = await cli(['execute', 'bad.yaml', '--run-id', 'r1'], cwd);
    expect(failed.code).toBe(1);
    const retried = await cli(['retry', 'r1', '--quiet'], cwd);
    expect(retried.code).toBe(1);
    expect(retried.stderr).not.toContain('retrying run');
    expect(retried.stderr).toMatch(/^run r1 FAIL$/m);
    expect((await cli(['retry', 'r1'], cwd)).stderr).toContain('runnable: retrying run r1');
    expect(await cli(['validate', 'ok.yaml', '-q'], cwd)).toMatchObject({ code: 0, stderr: '' });
    expect((await cli(['validate', 'ok.yaml'], cwd)).stderr).toMatch(/ok\.yaml: valid \(1 steps?\)/);
    const empty = workdir({});
    expect(await cli(['runs', 'list', '-q'], empty)).toMatchObject({ code: 0, stderr: '', stdout: '' });
    expect((await cli(['runs', 'list'], empty)).stderr).toMatch(/^runnable: no runs/m);
  });

  it('a bad level, or --quiet with --verbose: exit 2, one line, nothing run', async ({ expect }) => {
    const cwd = project();
    const bad = await cli(['--log-level', 'loud', 'execute', 'ok.yaml'], cwd);
    expect(bad.code).toBe(2);
    expect(runnableLines(bad.stderr)).toEqual(["runnable: error: --log-level 'loud': expected one of error, warning, info, debug"]);
    const both = await cli(['execute', 'ok.yaml', '-q', '-v'], cwd);
    expect(both.code).toBe(2);
    expect(runnableLines(both.stderr)).toEqual(['runnable: error: --quiet and --verbose contradict each other: give one (or --log-level)']);
    expect(bad.stdout + both.stdout).toBe('');
    expect((await cli(['runs', 'list', '--json'], cwd)).stdout.trim()).toBe('[]');
  });

  it('--help lists the global options, and so does each command\'s', async ({ expect }) => {
    for (const args of [['--help'], ['execute', '--help'], ['runs', 'list', '--help']]) {
      const r = await cli(args, project());
      expect(r.stdout).toMatch(/--log-level <level>/);
      expect(r.stdout).toMatch(/-q, --quiet/);
      expect(r.stdout).toMatch(/-v, --verbose/);
    }
  });
});

