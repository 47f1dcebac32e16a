/**
 * Issue 13 item 6: what goes wrong around a run, not in it. Each case ends as a one-line exit 2
 * before anything runs, or as a run that stopped with its finished steps recorded and that
 * `retry` completes; never a stack trace, never one bad file hiding the other runs.
 *
 * Full and read-only disks are real: a tmpfs of a few KB (ENOSPC) or mounted read-only (EROFS),
 * mounted in a private mount namespace (`unshare -r -m`), so nothing outside the test sees it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeError } from '../../src/cli/_errors.js';
import { BIN, cli, oneStep, STACK_LINE, workdir } from './_cli.js';

const canMount = spawnSync('unshare', ['-r', '-m', 'sh', '-c', 'd=$(mktemp -d) && mount -t tmpfs -o size=16k none "$d" && umount "$d"']).status === 0;

/** `script` in a private mount namespace; `$R` runs the CLI. Its output, with `@@rc=N` lines where the script echoes them. */
function inNamespace(script: string, cwd: string): string {
  const r = spawnSync('unshare', ['-r', '-m', 'sh', '-c', `set -u\nR="${process.execPath} ${BIN}"\n${script}`], {
    cwd,
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RUNNABLE_'))), NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 240_000,
  });
  return `${r.stdout}${r.stderr}`;
}
const codes = (out: string) => [...out.matchAll(/@@rc=(\d+)/g)].map((m) => Number(m[1]));
const runnableLines = (out: string) => out.split('\n').filter((l) => l.startsWith('runnable: '));

const PIPELINE = `dag:
  start_at: a
  steps:
    a: {type: task, command_type: shell, command: 'echo a >> ran.txt', next: b}
    b: {type: task, command_type: shell, command: 'echo b >> ran.txt', catalog: {put: [ran.txt]}, next: success}
`;
const CONFIG = `run-log-store: {type: file-system, config: {log_folder: logs}}\ncatalog: {type: file-system, config: {catalog_location: cat}}\n`;

describe.skipIf(!canMount)('full and read-only disks (tmpfs in a private mount namespace)', () => {
  it('a full run-log disk before the run: exit 2, one line naming ENOSPC, nothing run, nothing left', () => {
    const dir = workdir({ 'p.yaml': PIPELINE, 'c.yaml': CONFIG });
    mkdirSync(path.join(dir, 'logs'));
    const out = inNamespace(
      `mount -t tmpfs -o size=16k none logs; head -c 1000000 /dev/zero > logs/fill 2>/dev/null
$R execute p.yaml -c c.yaml --run-id full-start; echo @@rc=$?
echo "@@ls=$(ls -A logs | tr '\\n' ' ')"; test -e ran.txt && echo RAN`,
      dir,
    );
    expect(codes(out), out).toEqual([2]);
    const lines = runnableLines(out);
    expect(lines, out).toHaveLength(1);
    expect(lines[0]).toMatch(/no space left on the device \(ENOSPC\)/);
    expect(lines[0]).toContain(path.join(dir, 'logs'));
    expect(out).not.toMatch(STACK_LINE);
    expect(out).not.toContain('RAN');
    expect(out).toContain('@@ls=fill \n'); // no half-made run left behind
  });

  it('the run-log disk fills during the run: the run stops in one line, retry completes it once there is room', () => {
    // b fills the disk (once) and returns two pages' worth: its success record cannot fit in the
    // journal's last page whatever that page holds, so the write that fails is always that record
    const FILLS = `dag:
  start_at: a
  steps:
    a: {type: task, command_type: shell, command: 'echo a >> ran.txt', next: b}
    b:
      type: task
      command_type: shell
      command: 'echo b >> ran.txt; if [ ! -e filled ]; then touch filled; head -c 1000000 /dev/zero > logs/fill 2>/dev/null; fi; export big=$(head -c $((2 * $(getconf PAGESIZE))) /dev/zero | tr -c x x)'
      returns: [big]
      catalog: {put: [ran.txt]}
      next: success
`;
    const dir = workdir({ 'p.yaml': FILLS, 'c.yaml': CONFIG });
    mkdirSync(path.join(dir, 'logs'));
    const out = inNamespace(
      `mount -t tmpfs -o size=64k none logs
$R execute p.yaml -c c.yaml --run-id full-mid; echo @@rc=$?
rm logs/fill
$R retry full-mid -c c.yaml; echo @@rc=$?
$R runs show full-mid -c c.yaml; echo @@rc=$?
cp logs/full-mid.json full-mid.json`,
      dir,
    );
    expect(codes(out), out).toEqual([1, 0, 0]);
    expect(runnableLines(out), out).toEqual([
      `runnable: cannot write ${path.join(dir, 'logs/full-mid.journal')}: no space left on the device (ENOSPC)`,
      'runnable: run full-mid stopped; once that is fixed, `runnable retry full-mid` continues it',
      'runnable: retrying run full-mid: steps that succeeded are skipped',
    ]);
    expect(out).toContain('↷ a succeeded before, skipped');
    expect(out).toMatch(/run full-mid SUCCESS/);
    expect(out).not.toMatch(STACK_LINE);
    // a's success was recorded before the disk filled: it ran once; b's never was: it ran again
    expect(readFileSync(path.join(dir, 'ran.txt'), 'utf8')).toBe('a\nb\nb\n');
    const log = JSON.parse(readFileSync(path.join(dir, 'full-mid.json'), 'utf8'));
    expect(log.status).toBe('SUCCESS');
    expect(log.steps.a.attempts).toHaveLength(1);
    expect(log.steps.b.status).toBe('SUCCESS');
    expect(log.parameters.big.value).toMatch(/^x+$/);
  });

  it('a read-only run-log folder: exit 2, one line naming EROFS, nothing run', () => {
    const dir = workdir({ 'p.yaml': PIPELINE, 'c.yaml': CONFIG });
    mkdirSync(path.join(dir, 'logs'));
    const out = inNamespace(`mount -t tmpfs -o ro,size=16k none logs\n$R execute p.yaml -c c.yaml; echo @@rc=$?\ntest -e ran.txt && echo RAN`, dir);
    expect(codes(out), out).toEqual([2]);
    const lines = runnableLines(out);
    expect(lines, out).toHaveLength(1);
    expect(lines[0]).toMatch(/the file system is read-only \(EROFS\)/);
    expect(out).not.toContain('RAN');
    expect(out).not.toMatch(STACK_LINE);
  });

  it('a read-only catalog: the step that puts fails with a recorded message; retry completes once writable', () => {
    const dir = workdir({ 'p.yaml': PIPELINE, 'c.yaml': CONFIG });
    mkdirSync(path.join(dir, 'cat'));
    const out = inNamespace(
      `mount -t tmpfs -o ro,size=64k none cat
$R execute p.yaml -c c.yaml --run-id ro-cat; echo @@rc=$?
mount -o remount,rw cat
$R retry ro-cat -c c.yaml; echo @@rc=$?
cp logs/ro-cat.json ro-cat.json`,
      dir,
    );
    expect(codes(out), out).toEqual([1, 0]);
    expect(out).toMatch(/✗ b .*read-only/i);
    expect(out).not.toMatch(STACK_LINE);
    const log = JSON.parse(readFileSync(path.join(dir, 'ro-cat.json'), 'utf8'));
    expect(log.status).toBe('SUCCESS');
    expect(log.steps.b.attempts).toHaveLength(2);
    expect(log.steps.b.attempts[0].message).toMatch(/read-only/i);
    expect(log.steps.a.attempts).toHaveLength(1); // a succeeded before: not run again
  });
});

const STUB = 'dag:\n  start_at: s\n  steps:\n    s: {type: stub, next: success}\n';

describe.concurrent('a YAML anchor that contains itself is a one-line exit 2, in every file runnable reads', () => {
  const cases: Array<[string, Record<string, string>, string[]]> = [
    ['pipeline', { 'p.yaml': 'dag: &d\n  start_at: p\n  steps:\n    p:\n      type: parallel\n      branches:\n        b: *d\n      next: success\n' }, ['execute', 'p.yaml']],
    ['parameters', { 'p.yaml': STUB, 'params.yaml': 'a: &x [1, *x]\n' }, ['execute', 'p.yaml', '-p', 'params.yaml']],
    ['config', { 'p.yaml': STUB, 'c.yaml': 'pipeline-executor: &x {type: local, config: {nested: *x}}\n' }, ['execute', 'p.yaml', '-c', 'c.yaml']],
    ['job', { 'j.yaml': 'job: &j\n  command_type: shell\n  command: echo hi\n  optional_ploomber_args: {again: *j}\n' }, ['execute-job', 'j.yaml']],
  ];
  it.for(cases)('%s', async ([, files, args], { expect }) => {
    const dir = workdir(files);
    const r = await cli(args, dir);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
    expect(r.stderr).toMatch(/:\d+: invalid YAML: alias \*\w is inside the anchor &\w it refers to \(a cycle\)/);
  });
});

describe('bad and foreign files in the run-log folder', () => {
  it('hide no run, echo no file, crash no command', async () => {
    const dir = workdir({ 'p.yaml': oneStep('command_type: shell\ncommand: echo ok') });
    expect((await cli(['execute', 'p.yaml', '--run-id', 'good-run'], dir)).code).toBe(0);
    const logs = path.join(dir, '.run_log_store');
    writeFileSync(path.join(logs, 'garbage.json'), 'garbage{ SECRET-LOOKING-TEXT');
    writeFileSync(path.join(logs, 'five.json'), '{"run_id": 5}\n');
    writeFileSync(path.join(logs, 'nosteps.json'), '{"run_id": "nosteps", "status": "SUCCESS", "parameters": {}}\n');
    writeFileSync(path.join(logs, 'badjournal.journal'), '\u0000\u0001not json\n');
    symlinkSync('/etc/passwd', path.join(logs, 'passwd.json'));
    mkdirSync(path.join(logs, 'folder.json'));

    const list = await cli(['runs', 'list'], dir);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^good-run\tSUCCESS$/m);
    for (const id of ['garbage', 'five', 'nosteps']) expect(list.stdout).toMatch(new RegExp(`^${id}\\tUNREADABLE$`, 'm'));
    expect(list.stdout).not.toContain('passwd'); // a symlink is not one of the store's files

    for (const args of [
      ['runs', 'show', 'five'],
      ['runs', 'show', 'nosteps'],
      ['runs', 'show', 'garbage'],
      ['runs', 'show', 'passwd'],
      ['runs', 'show', 'folder'],
      ['retry', 'five'],
      ['retry', 'passwd'],
      ['runs', 'diff', 'good-run', 'five'],
      ['runs', 'diff', 'passwd', 'good-run'],
      ['runs', 'show', 'five', '--json'],
    ]) {
      const r = await cli(args, dir);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(/^runnable: .*not a readable run log: /);
      expect(r.stderr).not.toMatch(STACK_LINE);
      expect(r.stderr).not.toMatch(/root:|SECRET-LOOKING/);
    }
    expect((await cli(['runs', 'show', 'passwd'], dir)).stderr).toMatch(/symbolic link/);
    expect((await cli(['runs', 'show', 'five'], dir)).stderr).toMatch(/run_id: .*expected string/);
  });
});

describe('the last resort: no code path prints a stack trace', () => {
  it('a TS step leaving an unhandled rejection ends the process in one line', async () => {
    const dir = workdir({
      'fns.ts': "export function f() { Promise.reject(new Error('left behind')); return new Promise((r) => setTimeout(r, 200)); }\n",
      'p.yaml': oneStep('command: fns.ts:f'),
    });
    const r = await cli(['execute', 'p.yaml'], dir);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^runnable: internal error: Error: left behind/m);
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('every kind of thrown value is described in one line', () => {
    const values: unknown[] = [
      new TypeError('x is undefined\n    at f (file:///a.js:1:1)'),
      Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write', path: '/l/r.json' }),
      Object.assign(new Error('EROFS'), { code: 'EROFS', syscall: 'open' }),
      'a string',
      42,
      null,
      undefined,
      { weird: true },
    ];
    for (const v of values) {
      const [line, code] = describeError(v);
      expect(line).not.toContain('\n');
      expect(line).not.toMatch(/\bat .*:\d+:\d+/);
      expect([1, 2]).toContain(code);
    }
    expect(describeError(values[1])).toEqual(['cannot write /l/r.json: no space left on the device (ENOSPC)', 2]);
  });
});
