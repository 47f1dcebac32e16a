/**
 * `runnable runs delete|prune` and `runs list --limit` through the built CLI (build first): the
 * run log and the catalog folder of a deleted run go, other runs stay, `--dry-run` deletes
 * nothing, a run being driven is refused; over the default file-system store and a chunked-fs
 * config. The runs are made once, in three working directories at once, to keep this fast.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cleanEnv, cli, workdir } from '../engine/_helpers.js';

const PUTS = `
dag:
  start_at: make
  steps:
    make: {type: task, command_type: shell, command: 'echo "$RUNNABLE_RUN_ID" > out.txt', catalog: {put: [out.txt]}, next: success}
`;
const FAILS = `
dag:
  start_at: make
  steps:
    make: {type: task, command_type: shell, command: 'exit 3', next: success}
`;
/** a run that stays driven until the test writes `go` */
const WAITS = `
dag:
  start_at: wait
  steps:
    wait: {type: task, command_type: shell, command: 'while [ ! -e go ]; do sleep 0.05; done', next: success}
`;
const CHUNKED = 'run-log-store:\n  type: chunked-fs\n';

const execute = async (cwd: string, file: string, runId: string, ...extra: string[]) => {
  const r = await cli(['execute', file, '--run-id', runId, ...extra], cwd);
  expect(r.code, r.stderr).toBe(file === 'fails.yaml' ? 1 : 0);
};
const lines = (text: string) => text.trim().split('\n').filter(Boolean);
const has = (cwd: string, ...path: string[]) => existsSync(join(cwd, ...path));
/** a file-system run's traces: its two files, its catalog folder, its lease folder */
const fsTraces = (cwd: string, id: string) =>
  [['.run_log_store', `${id}.json`], ['.run_log_store', `${id}.journal`], ['.catalog', id], ['.run_log_store', '.leases', id]].filter((p) => has(cwd, ...p));

let fs: string; // file-system store (the default): old-a, old-b, then new-a, new-fail
let chunked: string; // chunked-fs config: c-1, c-2, c-3 one after another
let busy: string; // a run being driven while the tests run
let between: string; // after the old runs of `fs` ended, before its new ones started
let driver: ChildProcess;
let driverExit: Promise<number | null>;

beforeAll(async () => {
  fs = workdir({ 'puts.yaml': PUTS, 'fails.yaml': FAILS });
  chunked = workdir({ 'puts.yaml': PUTS, 'config.yaml': CHUNKED });
  busy = workdir({ 'waits.yaml': WAITS, 'puts.yaml': PUTS });
  driver = spawn(process.execPath, [CLI, 'execute', 'waits.yaml', '--run-id', 'driven'], { cwd: busy, env: cleanEnv(), stdio: 'ignore' });
  driverExit = new Promise((resolve) => driver.on('exit', resolve));
  await Promise.all([
    (async () => {
      await Promise.all([execute(fs, 'puts.yaml', 'old-a'), execute(fs, 'puts.yaml', 'old-b')]);
      between = new Date().toISOString();
      await sleep(20);
      await Promise.all([execute(fs, 'puts.yaml', 'new-a', '--tag', 'keep'), execute(fs, 'fails.yaml', 'new-fail')]);
    })(),
    (async () => {
      for (const id of ['c-1', 'c-2', 'c-3']) await execute(chunked, 'puts.yaml', id, '-c', 'config.yaml');
    })(),
    (async () => {
      await execute(busy, 'puts.yaml', 'idle');
      while (!has(busy, '.run_log_store', 'driven.json')) await sleep(20);
    })(),
  ]);
}, 60_000);

afterAll(async () => {
  writeFileSync(join(busy, 'go'), '');
  if (driver.exitCode === null) await driverExit;
});

describe('runs list --limit', () => {
  it('shows at most N runs, the newest first; an empty store says so on stderr', async () => {
    const [all, two, json, bad, empty, none] = await Promise.all([
      cli(['runs', 'list', '-c', 'config.yaml'], chunked),
      cli(['runs', 'list', '-c', 'config.yaml', '--limit', '2'], chunked),
      cli(['runs', 'list', '-c', 'config.yaml', '--limit', '1', '--json'], chunked),
      cli(['runs', 'list', '--limit', '0'], fs),
      cli(['runs', 'list'], workdir()),
      cli(['runs', 'list', '--tag', 'nope'], fs),
    ]);
    expect(lines(all.stdout).map((l) => l.split('\t')[0])).toEqual(['c-3', 'c-2', 'c-1']);
    expect(two.code, two.stderr).toBe(0);
    expect(lines(two.stdout).map((l) => l.split('\t')[0])).toEqual(['c-3', 'c-2']);
    expect(JSON.parse(json.stdout)).toEqual([{ run_id: 'c-3', status: 'SUCCESS', tag: '' }]);
    expect(bad.code).toBe(2);
    expect(lines(bad.stderr)).toEqual([expect.stringContaining('--limit takes a whole number')]);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toBe('');
    expect(empty.stderr).toMatch(/no runs in the run-log store \(file-system at .*\.run_log_store\)/);
    expect(none.stderr).toContain('no runs match --tag nope');
  });
});

describe('runs delete', () => {
  it('--dry-run prints what it would delete and deletes nothing', async () => {
    const r = await cli(['runs', 'delete', 'old-a', '--dry-run'], fs);
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout)).toEqual([expect.stringMatching(/^would delete old-a \(SUCCESS\): run log .*old-a\.json, catalog .*\.catalog\/old-a \(\d+ files?\)$/)]);
    expect(r.stderr).toContain('nothing was deleted');
    expect(fsTraces(fs, 'old-a')).toHaveLength(4); // json, journal, catalog, the lease folder execute left
  });

  it('an unknown run id among others: exit 2, one line, nothing deleted', async () => {
    const r = await cli(['runs', 'delete', 'old-a', 'ghost'], fs);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([expect.stringContaining("unknown run id 'ghost'")]);
    expect(r.stdout).toBe('');
    expect(fsTraces(fs, 'old-a')).toHaveLength(4);
  });

  it("deletes the run's log, catalog folder and lease entries; other runs are untouched", async () => {
    const r = await cli(['runs', 'delete', 'old-a'], fs);
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout)).toEqual([expect.stringMatching(/^deleted old-a \(SUCCESS\): run log /)]);
    expect(lines(r.stderr)).toEqual(['runnable: deleted 1 run']);
    expect(fsTraces(fs, 'old-a')).toEqual([]);
    for (const id of ['old-b', 'new-a', 'new-fail']) expect(has(fs, '.run_log_store', `${id}.json`)).toBe(true);
    const shown = await cli(['runs', 'show', 'old-a'], fs);
    expect(shown.code).toBe(2);
  });

  it('a chunked-fs run: its folder and catalog go, several ids at once', async () => {
    const r = await cli(['runs', 'delete', 'c-1', 'c-2', '-c', 'config.yaml', '--json'], chunked);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ dry_run: false, skipped: [] });
    expect(out.deleted.map((d: { run_id: string }) => d.run_id)).toEqual(['c-1', 'c-2']);
    expect(out.deleted[0].catalog_files).toBeGreaterThan(0);
    expect(readdirSync(join(chunked, '.run_log_store')).filter((n) => !n.startsWith('.'))).toEqual(['c-3']);
    expect(readdirSync(join(chunked, '.catalog'))).toEqual(['c-3']);
  });

  it('refuses a run being driven: a one-line message, exit 1; the others are deleted', async () => {
    const r = await cli(['runs', 'delete', 'driven', 'idle'], busy);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/^runnable: not deleted: run driven is being driven by pid \d+/), 'runnable: deleted 1 run; 1 run not deleted (being driven)']);
    expect(lines(r.stdout)).toEqual([expect.stringMatching(/^deleted idle /)]);
    expect(has(busy, '.run_log_store', 'driven.json')).toBe(true);
    expect(has(busy, '.run_log_store', 'idle.json')).toBe(false);
  });
});

describe('runs prune', () => {
  it('needs a criterion, and checks its values (exit 2)', async () => {
    const results = await Promise.all([[], ['--keep', 'x'], ['--older-than', 'soon']].map((args) => cli(['runs', 'prune', ...args], fs)));
    for (const r of results) {
      expect(r.code).toBe(2);
      expect(lines(r.stderr)).toHaveLength(1);
    }
  });

  it('--older-than: --dry-run deletes nothing; then the runs started before go, the newer stay', async () => {
    const dry = await cli(['runs', 'prune', '--older-than', between, '--dry-run'], fs);
    expect(dry.code, dry.stderr).toBe(0);
    expect(lines(dry.stdout)).toEqual([expect.stringMatching(/^would delete old-b /)]);
    expect(fsTraces(fs, 'old-b')).toHaveLength(4);

    const recent = await cli(['runs', 'prune', '--older-than', '1h'], fs);
    expect(recent.code).toBe(0);
    expect(recent.stderr).toContain('nothing to prune: 3 runs, none older than 1h');

    const r = await cli(['runs', 'prune', '--older-than', between], fs);
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout)).toEqual([expect.stringMatching(/^deleted old-b /)]);
    expect(fsTraces(fs, 'old-b')).toEqual([]);
    const left = await cli(['runs', 'list'], fs);
    expect(lines(left.stdout).map((l) => l.split('\t')[0]).sort()).toEqual(['new-a', 'new-fail']);
  });

  it('--status with --keep: the newest of those runs kept', async () => {
    const kept = await cli(['runs', 'prune', '--status', 'fail', '--keep', '1'], fs);
    expect(kept.stderr).toContain('nothing to prune: 1 run with status FAIL, all kept by --keep 1');
    const r = await cli(['runs', 'prune', '--status', 'FAIL'], fs);
    expect(lines(r.stdout)).toEqual([expect.stringMatching(/^deleted new-fail \(FAIL\)/)]);
    expect(fsTraces(fs, 'new-fail')).toEqual([]);
    expect(fsTraces(fs, 'new-a')).toHaveLength(4);
  });

  it('a run being driven is skipped with a warning, exit 0', async () => {
    const r = await cli(['runs', 'prune', '--status', 'PROCESSING', '--json'], busy);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^runnable: warning: not deleted: run driven is being driven by pid \d+/m);
    expect(JSON.parse(r.stdout)).toMatchObject({ deleted: [], skipped: [{ run_id: 'driven', reason: expect.stringContaining('being driven') }] });
    expect(has(busy, '.run_log_store', 'driven.json')).toBe(true);
  });
});

describe('runs --help', () => {
  it('each runs command has a description and an example', async () => {
    const commands = ['list', 'show', 'diff', 'delete', 'prune'];
    const helps = await Promise.all(commands.map((cmd) => cli(['runs', cmd, '--help'], fs)));
    for (const [i, cmd] of commands.entries()) {
      const r = helps[i]!;
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`Usage: runnable runs ${cmd}[^\\n]*\\n\\n\\S`));
      expect(r.stdout).toMatch(new RegExp(`Examples?:\\n  runnable runs ${cmd} `));
    }
    const top = await cli(['--help'], fs);
    expect(top.stdout).not.toMatch(/^\s+(open-run|fan|execute-single-node)\b/m);
  });
});
