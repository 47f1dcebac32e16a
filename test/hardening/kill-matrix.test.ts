/**
 * Issue 13 items 3 and 11: a step never outlives its runner, and never runs twice at once.
 * The runner (`local`, and `emulate` whose steps are child processes) is killed with SIGKILL or
 * SIGHUP while a shell or Python step runs. The step's process (its pid is in a file it writes)
 * must then end by itself — before, it kept running — and after `retry` each step has finished
 * exactly once overall: a step appends to done.txt as its last act, so an orphan that survived
 * (or a second copy) shows as a second line.
 *
 * Each step waits for the file `release-<step>` before finishing: the test creates it after the
 * kill, so a surviving orphan would finish too, and the retried run finds it there.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, cleanEnv, workdir } from '../engine/_helpers.js';

const STEPS = ['sh1', 'py', 'sh2'];
const shell = (name: string) =>
  `echo $$ > pid-${name}; touch started-${name}; while [ ! -f release-${name} ]; do sleep 0.05; done; echo ${name} >> done.txt`;

function setup(config: string): string {
  return workdir({
    'pipeline.yaml': `dag:
  start_at: sh1
  steps:
    sh1: {type: task, command_type: shell, command: '${shell('sh1')}', next: py}
    py: {type: task, command_type: python, command: steps.work, next: sh2}
    sh2: {type: task, command_type: shell, command: '${shell('sh2')}', next: success}
`,
    'steps.py': `import os, time, pathlib
def work():
    pathlib.Path("pid-py").write_text(str(os.getpid()))
    pathlib.Path("started-py").touch()
    while not os.path.exists("release-py"):
        time.sleep(0.05)
    with open("done.txt", "a") as f:
        f.write("py\\n")
`,
    'config.yaml': config,
  });
}

async function until(ok: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
};

const configs: Record<string, string> = {
  local: 'pipeline-executor: {type: local}\n',
  emulate: 'pipeline-executor: {type: emulate}\nrun-log-store: {type: chunked-fs}\n',
};

const cases = Object.keys(configs).flatMap((executor) =>
  (['SIGKILL', 'SIGHUP'] as const).flatMap((signal) => ['sh1', 'py'].map((victim) => ({ executor, signal, victim }))),
);

describe('kill matrix: the runner killed while a step runs', () => {
  it.each(cases)('$executor, $signal during $victim: the step dies with the runner; after retry every step finished once', async ({ executor, signal, victim }) => {
    const cwd = setup(configs[executor]!);
    // everything before the victim runs straight through
    for (const s of STEPS.slice(0, STEPS.indexOf(victim))) writeFileSync(join(cwd, `release-${s}`), '');
    const runner = spawn(process.execPath, [CLI, 'execute', 'pipeline.yaml', '-c', 'config.yaml', '--run-id', 'victim'], {
      cwd,
      env: cleanEnv(),
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => runner.on('exit', resolve));
    await until(() => existsSync(join(cwd, `started-${victim}`)) && existsSync(join(cwd, `pid-${victim}`)), `${victim} to start`);
    await until(() => readFileSync(join(cwd, `pid-${victim}`), 'utf8').trim() !== '', 'its pid');
    const stepPid = Number(readFileSync(join(cwd, `pid-${victim}`), 'utf8'));
    runner.kill(signal);
    await exited;
    // the step must not outlive its runner
    await until(() => !alive(stepPid), `the ${victim} step process ${stepPid} to end after its runner got ${signal}`, 30_000);
    for (const s of STEPS) writeFileSync(join(cwd, `release-${s}`), '');

    const retried = spawnSync(process.execPath, [CLI, 'retry', 'victim', '-c', 'config.yaml'], { cwd, encoding: 'utf8', env: cleanEnv() });
    expect(retried.status, retried.stderr).toBe(0);
    const done = readFileSync(join(cwd, 'done.txt'), 'utf8').trim().split('\n');
    expect(done.sort()).toEqual([...STEPS].sort());
  }, 120_000);
});
