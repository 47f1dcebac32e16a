/**
 * `emulate` as a remote engine: each step really is its own process, branches of a map run at
 * once on a store that takes concurrent writers and one at a time on one that does not, a step
 * process killed mid-step fails its step cleanly and `retry` completes the run, a module
 * pipeline runs too, and a store the step processes cannot see is refused up front.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunLog, StepLog } from '../../src/runlog/types.js';
import { REPO, parseJsonSummary } from '../examples/_run.js';
import { cleanup, cli, scratch, signature } from './_emulate.js';

afterAll(cleanup);

const EMULATE_CHUNKED = 'pipeline-executor: {type: emulate, config: {max_parallel: 3}}\nrun-log-store: {type: chunked-fs}\n';
const EMULATE_FS = 'pipeline-executor: {type: emulate, config: {max_parallel: 3}}\n';

function project(files: Record<string, string>): string {
  const cwd = scratch();
  writeFileSync(join(cwd, 'package.json'), JSON.stringify({ name: 'emulate-test', private: true, type: 'module' }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(cwd, name), text);
  return cwd;
}

async function execute(cwd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; log: RunLog; stderr: string }> {
  const r = await cli(['execute', ...args, '--json'], cwd, env);
  const json = parseJsonSummary(r.stdout);
  if (!json) throw new Error(`no --json summary (exit ${r.code})\n${r.stderr.slice(-3000)}`);
  return { code: r.code, log: json.run_log as RunLog, stderr: r.stderr };
}

const PIDS = `
dag:
  start_at: first
  steps:
    first: {type: task, command: fns.ts:pid, returns: [a], next: second}
    second: {type: task, command: fns.ts:pid, returns: [b], next: fan}
    fan:
      type: map
      iterate_on: items
      iterate_as: item
      next: success
      branch:
        start_at: s
        steps:
          s: {type: task, command_type: shell, command: 'sleep 1.5; export p=$PPID', returns: [p], next: success}
`;
const FNS = 'export function pid(): number { return process.pid; }\n';

/** The most leaf attempts running at one instant, from the run log's own clock. */
function maxConcurrency(parent: StepLog): number {
  const edges = Object.values(parent.branches).flatMap((b) => {
    const a = Object.values(b.steps)[0]!.attempts[0]!;
    return [
      { t: Date.parse(a.start_time), d: 1 },
      { t: Date.parse(a.end_time), d: -1 },
    ];
  });
  edges.sort((x, y) => x.t - y.t || x.d - y.d);
  let now = 0;
  let max = 0;
  for (const e of edges) max = Math.max(max, (now += e.d));
  return max;
}

describe.each([
  ['chunked-fs', EMULATE_CHUNKED, 3],
  ['file-system', EMULATE_FS, 1],
])('emulate on %s', (_store, config, width) => {
  let run: { code: number | null; log: RunLog; stderr: string };
  beforeAll(async () => {
    const cwd = project({ 'pipeline.yaml': PIDS, 'fns.ts': FNS, 'config.yaml': config, 'params.yaml': 'items: [x, y, z]\n' });
    run = await execute(cwd, ['pipeline.yaml', '-c', 'config.yaml', '-p', 'params.yaml']);
  }, 300_000);

  it('runs every task in a process of its own, not in the runner', () => {
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    const runner = (run.log.run_config.runner as { pid: number }).pid;
    const p = run.log.parameters;
    const pids = [p.a!.value, p.b!.value, ...(p.p!.value as number[])];
    expect(new Set(pids).size).toBe(5);
    expect(pids).not.toContain(runner);
  });

  it(`runs ${width} branch(es) at once`, () => {
    expect(maxConcurrency(run.log.steps.fan!)).toBe(width);
  });

  it('shows progress and the steps’ output', () => {
    expect(run.stderr).toMatch(/→ first/);
    expect(run.stderr).toMatch(/✓ fan\.z\.s/);
    expect(run.stderr).toMatch(/✓ fan /);
  });
});

describe('a step process killed mid-step', () => {
  const KILLED = `
dag:
  start_at: prepare
  steps:
    prepare: {type: task, command_type: shell, command: 'export n=1', returns: [n], next: victim}
    victim:
      type: task
      command_type: shell
      command: 'if [ ! -f killed-once ]; then touch killed-once; kill -9 $PPID; sleep 5; fi; export m=$((n + 1))'
      returns: [m]
      next: success
`;
  let cwd: string;
  let first: { code: number | null; log: RunLog; stderr: string };
  beforeAll(async () => {
    cwd = project({ 'pipeline.yaml': KILLED, 'config.yaml': EMULATE_CHUNKED });
    first = await execute(cwd, ['pipeline.yaml', '-c', 'config.yaml']);
  }, 120_000);

  it('fails that step, saying how its process ended', () => {
    expect(first.code).toBe(1);
    const victim = first.log.steps.victim!;
    expect(victim.status).toBe('FAIL');
    expect(victim.message).toMatch(/killed by SIGKILL/);
    expect(first.log.steps.prepare!.status).toBe('SUCCESS');
  });

  it('retry completes the run', async () => {
    const r = await cli(['retry', first.log.run_id, '-c', 'config.yaml', '--json'], cwd);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const log = parseJsonSummary(r.stdout)!.run_log as RunLog;
    expect(log.status).toBe('SUCCESS');
    expect(log.parameters.m?.value).toBe(2);
    expect(log.steps.victim!.attempts.map((a) => a.status)).toEqual(['FAIL', 'SUCCESS']);
    expect(log.steps.prepare!.attempts).toHaveLength(1);
  }, 120_000);
});

describe('a pipeline module (TS SDK)', () => {
  it('runs under emulate as under local', async () => {
    const sdk = pathToFileURL(join(REPO, 'dist', 'index.js')).href;
    const files = {
      'pipeline.ts': `import { map, pipeline, shell, task } from '${sdk}';
import { double, make } from './fns.ts';
export default pipeline([
  task(make, { returns: ['items'] }),
  map('fan', { iterateOn: 'items', iterateAs: 'item', branch: pipeline([task(double, { returns: ['doubled'] })]) }),
  shell('echo "$doubled"', { name: 'show' }),
]);
`,
      'fns.ts': 'export function make() { return [1, 2]; }\nexport function double(item: number) { return item * 2; }\n',
      'config.yaml': EMULATE_CHUNKED,
    };
    const [emulated, local] = await Promise.all([
      execute(project(files), ['pipeline.ts', '-c', 'config.yaml']),
      execute(project(files), ['pipeline.ts']),
    ]);
    expect(emulated.code, emulated.stderr.slice(-3000)).toBe(0);
    expect(emulated.log.parameters.doubled?.value).toEqual([2, 4]);
    expect(signature(emulated.log)).toEqual(signature(local.log));
  }, 180_000);
});

it('refuses the buffered store, which other processes cannot see, before any step runs', async () => {
  const cwd = project({
    'pipeline.yaml': 'dag:\n  start_at: a\n  steps:\n    a: {type: stub, next: success}\n',
    'config.yaml': 'pipeline-executor: {type: emulate}\nrun-log-store: {type: buffered}\n',
  });
  const r = await cli(['execute', 'pipeline.yaml', '-c', 'config.yaml'], cwd);
  // bad input: refused before the run exists
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/emulate executor runs steps in other processes, which cannot see the 'buffered' run-log store/);
  expect(r.stderr).not.toMatch(/started|✓ a/);
}, 60_000);

describe("the run's code identity", () => {
  // a git on PATH that logs who started it (its parent's pid), then runs the real one
  function loggingGit(cwd: string): { path: string; calls: () => string[] } {
    const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    const bin = join(cwd, '.bin');
    const log = join(cwd, '.git-calls');
    mkdirSync(bin);
    writeFileSync(join(bin, 'git'), `#!/bin/sh\necho "$PPID $1" >> '${log}'\nexec '${real}' "$@"\n`, { mode: 0o755 });
    return { path: `${bin}:${process.env.PATH}`, calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []) };
  }
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
    }).trim();

  it('is found by the driver once and recorded by every step process, as a local run records it', async () => {
    const cwd = project({
      'tracked.txt': 'a\n',
      '.gitignore': '.bin/\n.git-calls\n.run_log_store/\n.catalog/\n',
      'p.yaml': `
dag:
  start_at: first
  steps:
    first: {type: task, command_type: shell, command: 'true', next: edit}
    edit: {type: task, command_type: shell, command: 'echo b >> tracked.txt', next: last}
    last: {type: task, command_type: shell, command: '[ -z "\${RUNNABLE_CODE_IDENTITY+set}" ]', next: success}
`,
    });
    git(cwd, 'init', '-q');
    git(cwd, 'add', '.');
    git(cwd, 'commit', '-q', '-m', 'first');
    const sha = git(cwd, 'rev-parse', 'HEAD');
    writeFileSync(join(cwd, 'emulate.yaml'), EMULATE_CHUNKED);
    const fake = loggingGit(cwd);
    const { code, log, stderr } = await execute(cwd, ['p.yaml', '-c', 'emulate.yaml'], { PATH: fake.path });
    expect(code, stderr).toBe(0);
    const identity = { code_identifier: sha, code_identifier_type: 'git', code_identifier_dependable: true, code_identifier_url: '', code_identifier_message: '' };
    // the tree changed during the run (step edit): the identity is the run's code, as it was when the run first asked
    for (const name of ['first', 'edit', 'last']) expect(log.steps[name]!.code_identities).toEqual([identity]);
    // the driver's three questions, none from the step processes (which would each ask them again)
    const calls = fake.calls();
    expect(calls.map((c) => c.split(' ')[1]).sort()).toEqual(['config', 'rev-parse', 'status']);
    expect(new Set(calls.map((c) => c.split(' ')[0])).size).toBe(1);
  });
});
