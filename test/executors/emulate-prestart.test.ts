/**
 * emulate starts step processes ahead of their steps (src/executors/_prestart.ts): each step
 * still runs in a fresh process of its own, which sees the command line and environment it
 * would have had started cold (its secrets only, the run's id); no process of the run outlives
 * it, whether it ends or its driver is killed. Real processes throughout; nothing is timed: a
 * kill waits on the run log and on /proc, with the test's own generous timeout.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunLog } from '../../src/runlog/types.js';
import { parseJsonSummary } from '../examples/_run.js';
import { CLI, cleanEnv, cleanup, cli, scratch } from './_emulate.js';
import { launchesAtMost, prestartFlags } from '../../src/executors/_prestart.js';
import { loadPipelineFile } from '../../src/yaml/load-pipeline.js';

afterAll(cleanup);

const CONFIG = 'pipeline-executor: {type: emulate, config: {max_parallel: 2}}\nrun-log-store: {type: chunked-fs}\n';

function project(files: Record<string, string>): string {
  const cwd = scratch();
  writeFileSync(join(cwd, 'package.json'), JSON.stringify({ name: 'prestart-test', private: true, type: 'module' }));
  writeFileSync(join(cwd, 'config.yaml'), CONFIG);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(cwd, name), text);
  return cwd;
}

/** pids of the processes whose environment holds RUNNABLE_RUN_ID=`runId` */
function processesOf(runId: string): number[] {
  const mark = `RUNNABLE_RUN_ID=${runId}`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(mark)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

const until = async (what: string, ok: () => boolean) => {
  while (!ok()) await new Promise((r) => setTimeout(r, 50));
  return what;
};

const STEPS = `
dag:
  start_at: argv
  steps:
    argv: {type: task, command: fns.ts:argv, returns: [args], next: env}
    env:
      type: task
      command_type: shell
      command: 'export seen="\${TOKEN:-none} \${OTHER:-none} $RUNNABLE_RUN_ID"; export pid=$PPID'
      secrets: [TOKEN]
      returns: [seen, pid]
      next: other
    other:
      type: task
      command_type: shell
      command: 'export other="\${TOKEN:-none} \${OTHER:-none}"; export pid2=$PPID'
      secrets: [OTHER]
      returns: [other, pid2]
      next: success
`;

describe('a step in a pre-started process', () => {
  let log: RunLog;
  let stderr: string;
  const runId = `prestart-${process.pid}`;
  it('runs the run to its end', async () => {
    const cwd = project({ 'p.yaml': STEPS, 'fns.ts': 'export function argv(): string[] { return process.argv.slice(2); }\n' });
    const r = await cli(['execute', 'p.yaml', '-c', 'config.yaml', '--run-id', runId, '--json'], cwd, { TOKEN: 'tok-1', OTHER: 'oth-2' });
    stderr = r.stderr;
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    log = parseJsonSummary(r.stdout)!.run_log as RunLog;
    expect(log.status).toBe('SUCCESS');
  }, 120_000);

  it("has the command line it would have had started cold, not the spare's", () => {
    const args = log.parameters.args!.value as string[];
    expect(args.slice(0, 4)).toEqual(['execute-single-node', runId, 'p.yaml', 'argv']);
    expect(args).not.toContain('--await-command');
    expect(stderr).not.toMatch(/await-command/);
  });

  it('sees its own secrets and the run id, not the other steps’ secrets', () => {
    expect(log.parameters.seen!.value).toBe(`tok-1 none ${runId}`);
    expect(log.parameters.other!.value).toBe('none oth-2');
  });

  it('is a process of its own per step', () => {
    expect(log.parameters.pid!.value).not.toBe(log.parameters.pid2!.value);
  });

  it('leaves no process of the run behind once the run ended (the spares not used are gone)', () => {
    expect(processesOf(runId)).toEqual([]);
  });
});

describe('the driver killed mid-run', () => {
  it('takes its spares with it, and retry completes the run', async () => {
    const runId = `prestart-kill-${process.pid}`;
    const cwd = project({
      'p.yaml': `
dag:
  start_at: first
  steps:
    first: {type: task, command_type: shell, command: 'if [ ! -f started ]; then touch started; sleep 600; fi', next: second}
    second: {type: task, command_type: shell, command: 'export done=yes', returns: [done], next: success}
`,
    });
    const driver = spawn(process.execPath, [CLI, 'execute', 'p.yaml', '-c', 'config.yaml', '--run-id', runId], { cwd, env: cleanEnv(), stdio: 'ignore' });
    const started = join(cwd, 'started');
    await until('the first step started', () => {
      try {
        readFileSync(started);
        return true;
      } catch {
        return false;
      }
    });
    // the step process and the spare for the second step are the run's
    await until('the spare started', () => processesOf(runId).length >= 2);
    driver.kill('SIGKILL');
    await until('every process of the run ended', () => processesOf(runId).length === 0);

    const r = await cli(['retry', runId, '-c', 'config.yaml', '--json'], cwd);
    const log = parseJsonSummary(r.stdout)?.run_log as RunLog | undefined;
    expect(log?.status, r.stderr.slice(-3000)).toBe('SUCCESS');
    expect(log!.steps.first!.attempts.map((a) => a.status)).toEqual(['FAIL', 'SUCCESS']);
    expect(log!.parameters.done!.value).toBe('yes');
    expect(processesOf(runId)).toEqual([]);
  }, 120_000);
});

describe('how many spares', () => {
  // the spares a step sees: the run's processes waiting for a command, not its own
  const SPARES_SEEN = `import { readdirSync, readFileSync } from 'node:fs';
const read = (pid: string, what: string) => {
  try {
    return readFileSync('/proc/' + pid + '/' + what, 'latin1');
  } catch {
    return '';
  }
};
export function seen(): number {
  const mark = 'RUNNABLE_RUN_ID=' + process.env.RUNNABLE_RUN_ID;
  return readdirSync('/proc').filter((p) => {
    if (!/^\\d+$/.test(p) || Number(p) === process.pid || !read(p, 'cmdline').split('\\0').includes('--await-command') || !read(p, 'environ').split('\\0').includes(mark)) return false;
    // the driver's children (as this step's process is): a spare's lifeline watcher (a bash it
    // forked) has the same command line and environment, and the spare (or no one) for parent
    return /^PPid:\\s*(\\d+)/m.exec(read(p, 'status'))?.[1] === String(process.ppid);
  }).length;
}
`;
  const chain = (n: number) => 'dag:\n  start_at: s0\n  steps:\n' + Array.from({ length: n }, (_, i) => `    s${i}: {type: task, command: spares.ts:seen, returns: [seen${i}], next: ${i + 1 < n ? `s${i + 1}` : 'success'}}\n`).join('');

  it('are no more than the steps still to come: none for one step, two, then one, then none for three', async () => {
    const cwd = project({ 'spares.ts': SPARES_SEEN, 'one.yaml': chain(1), 'three.yaml': chain(3) });
    const one = await cli(['execute', 'one.yaml', '-c', 'config.yaml', '--json'], cwd);
    expect(one.code, one.stderr.slice(-3000)).toBe(0);
    expect((parseJsonSummary(one.stdout)!.run_log as RunLog).parameters.seen0!.value).toBe(0);
    const three = await cli(['execute', 'three.yaml', '-c', 'config.yaml', '--json'], cwd);
    expect(three.code, three.stderr.slice(-3000)).toBe(0);
    const p = (parseJsonSummary(three.stdout)!.run_log as RunLog).parameters;
    expect([p.seen0!.value, p.seen1!.value, p.seen2!.value]).toEqual([2, 1, 0]);
  }, 120_000);

  it('launchesAtMost counts tasks, stubs and fans; a map or a loop has no bound', async () => {
    const cwd = project({
      'flat.yaml': 'dag:\n  start_at: a\n  steps:\n    a: {type: stub, next: b}\n    b:\n      type: parallel\n      next: success\n      branches:\n        x:\n          start_at: t\n          steps:\n            t: {type: task, command_type: shell, command: echo, next: success}\n',
      'map.yaml': 'dag:\n  start_at: m\n  steps:\n    m:\n      type: map\n      iterate_on: xs\n      iterate_as: x\n      next: success\n      branch:\n        start_at: t\n        steps:\n          t: {type: task, command_type: shell, command: echo, next: success}\n',
    });
    expect(launchesAtMost(await loadPipelineFile('flat.yaml', cwd))).toBe(4);
    expect(launchesAtMost(await loadPipelineFile('map.yaml', cwd))).toBe(Infinity);
  });
});

describe('prestartFlags', () => {
  it('loads acorn ahead for TS steps, nothing more for shell and JS steps', async () => {
    const cwd = project({
      'ts.yaml': 'dag:\n  start_at: a\n  steps:\n    a: {type: task, command: fns.ts:f, next: success}\n',
      'js.yaml': 'dag:\n  start_at: a\n  steps:\n    a: {type: task, command: fns.mjs:f, next: success}\n',
      'sh.yaml': 'dag:\n  start_at: a\n  steps:\n    a: {type: task, command_type: shell, command: echo x.ts, next: success}\n',
      'fns.ts': 'export function f() {}\n',
      'fns.mjs': 'export function f() {}\n',
    });
    const of = async (file: string) => prestartFlags(await loadPipelineFile(file, cwd));
    expect(await of('ts.yaml')).toEqual(['--ts']);
    expect(await of('js.yaml')).toEqual([]);
    expect(await of('sh.yaml')).toEqual([]);
  });
});
