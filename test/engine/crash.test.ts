/**
 * Crash safety: the runner is killed with SIGKILL at every step boundary and in the middle of
 * every step of a 10-step pipeline; `runs show` can still read the run, it is shown as
 * interrupted, and `retry` completes it: no step that had succeeded runs again, every other
 * step runs, and the final run log equals a clean run's (times and runner aside).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunLog, StepLog } from '../../src/runlog/types.js';
import { CLI, cleanEnv, workdir } from './_helpers.js';

const STEPS = 10;
const names = Array.from({ length: STEPS }, (_, i) => `s${i}`);

/**
 * s0..s9 alternate TS functions (in the runner's process) and shell processes; each records
 * that it ran in ran.txt and returns prev + i as both v<i> and prev. A TS step kills its own
 * runner mid-step when KILL_IN names it (once: the marker file remembers).
 */
function setup(): string {
  const yaml = `dag:
  start_at: s0
  steps:
${names
  .map((name, i) => {
    const next = i + 1 < STEPS ? `s${i + 1}` : 'success';
    return i % 2 === 0
      ? `    ${name}: {type: task, command: steps.ts:${name}, returns: [v${i}, prev], next: ${next}}`
      : `    ${name}: {type: task, command_type: shell, command: 'echo ${name} >> ran.txt; export v${i}=$((prev + ${i})); export prev=$v${i}', returns: [v${i}, prev], next: ${next}}`;
  })
  .join('\n')}
`;
  const ts = `import { appendFileSync, existsSync } from 'node:fs';
function work(name: string, i: number, prev: number) {
  appendFileSync('ran.txt', name + '\\n');
  if (process.env.KILL_IN === name && !existsSync('killed')) {
    appendFileSync('killed', name);
    process.kill(process.pid, 'SIGKILL');
  }
  return [prev + i, prev + i];
}
${names
  .filter((_, i) => i % 2 === 0)
  .map((name) => `export const ${name} = (prev = 0) => work('${name}', ${name.slice(1)}, prev);`)
  .join('\n')}
`;
  return workdir({ 'pipeline.yaml': yaml, 'steps.ts': ts });
}

const cli = (cwd: string, args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: cleanEnv(env) });

const ran = (cwd: string): string[] => {
  try {
    return readFileSync(join(cwd, 'ran.txt'), 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

const readLog = (cwd: string, runId: string): RunLog => JSON.parse(cli(cwd, ['runs', 'show', runId, '--json']).stdout);

/** A run log without what legitimately differs between runs: ids, times, runner. */
function normalise(log: RunLog): unknown {
  const step = (s: StepLog): unknown => ({
    ...s,
    attempts: s.attempts.map(({ start_time: _s, end_time: _e, ...a }) => a),
    branches: {},
  });
  return {
    status: log.status,
    dag_hash: log.dag_hash,
    parameters: log.parameters,
    steps: Object.fromEntries(Object.entries(log.steps).map(([k, s]) => [k, step(s)])),
  };
}

/** Runs the CLI until its stderr shows `✓ <step>`, then kills it with SIGKILL. */
function killAfter(cwd: string, runId: string, step: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'execute', 'pipeline.yaml', '--run-id', runId], { cwd, env: cleanEnv() });
    let err = '';
    child.stderr.on('data', (d) => {
      err += String(d);
      if (new RegExp(`^✓ ${step} `, 'm').test(err)) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`runner ended (${code}) before ${step} finished:\n${err}`))));
  });
}

describe('kill -9 of the runner, then retry', () => {
  const clean = (() => {
    let cached: unknown;
    return () => {
      if (!cached) {
        const cwd = setup();
        const r = cli(cwd, ['execute', 'pipeline.yaml', '--run-id', 'clean']);
        expect(r.status, r.stderr).toBe(0);
        expect(ran(cwd)).toEqual(names);
        cached = normalise(readLog(cwd, 'clean'));
      }
      return cached;
    };
  })();

  async function check(cwd: string, runId: string) {
    const before = ran(cwd);
    const show = cli(cwd, ['runs', 'show', runId]);
    expect(show.status, show.stderr).toBe(0);
    expect(show.stdout).toContain('interrupted');
    expect(cli(cwd, ['runs', 'list']).stdout).toMatch(new RegExp(`^${runId}\\tINTERRUPTED`, 'm'));

    const interrupted = readLog(cwd, runId);
    const succeeded = names.filter((n) => interrupted.steps[n]?.status === 'SUCCESS');
    const retry = cli(cwd, ['retry', runId]);
    expect(retry.status, retry.stderr).toBe(0);

    const rerun = ran(cwd).slice(before.length);
    // nothing that had succeeded runs again; everything after it runs exactly once
    expect(rerun).toEqual(names.filter((n) => !succeeded.includes(n)));
    expect(normalise(readLog(cwd, runId))).toEqual(clean());
  }

  for (const step of names.slice(0, -1)) {
    it(`killed right after ${step} finished`, async () => {
      const cwd = setup();
      await killAfter(cwd, `after-${step}`, step);
      await check(cwd, `after-${step}`);
    });
  }

  for (const step of names.filter((_, i) => i % 2 === 0)) {
    it(`killed in the middle of ${step}`, async () => {
      const cwd = setup();
      const r = cli(cwd, ['execute', 'pipeline.yaml', '--run-id', `mid-${step}`], { KILL_IN: step });
      expect(r.signal).toBe('SIGKILL');
      await check(cwd, `mid-${step}`);
    });
  }
});
