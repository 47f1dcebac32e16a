/** Sequential traversal: success, failures (TS, shell, user `fail`), on_failure, retries. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runYaml, step, values } from './_helpers.js';

const FUNCS = `
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
// in-process functions see the test's process.cwd(), not the run's cwd: use paths next to this module
const at = (f: string) => fileURLToPath(new URL(f, import.meta.url));
export function hello() { console.log('hello from ts'); return 1; }
export function boom() { throw new Error('kaput in boom'); }
export function recover() { console.log('recovered'); }
export function flaky() {
  const n = existsSync(at('counter.txt')) ? Number(readFileSync(at('counter.txt'), 'utf8')) : 0;
  writeFileSync(at('counter.txt'), String(n + 1));
  const attempts = existsSync(at('attempts.txt')) ? readFileSync(at('attempts.txt'), 'utf8') : '';
  writeFileSync(at('attempts.txt'), attempts + process.env.RUNNABLE_STEP_ATTEMPT + ',');
  if (n < 2) throw new Error('flaky failure ' + (n + 1));
  return n + 1;
}
`;

describe('sequential pipelines', () => {
  it('runs steps in order and ends SUCCESS', async () => {
    const r = await runYaml(
      `
dag:
  start_at: first
  steps:
    first: {type: task, command: funcs.ts:hello, returns: [one], next: second}
    second: {type: stub, next: third, anything: goes}
    third: {type: task, command_type: shell, command: echo third, next: success}
`,
      { 'funcs.ts': FUNCS },
    );
    expect(r.status).toBe('SUCCESS');
    expect(r.runLog.status).toBe('SUCCESS');
    expect(Object.keys(r.runLog.steps)).toEqual(['first', 'second', 'third', 'success']);
    for (const s of Object.values(r.runLog.steps)) expect(s.status).toBe('SUCCESS');
    expect(step(r.runLog, 'first').step_type).toBe('task');
    expect(step(r.runLog, 'second').step_type).toBe('stub');
    expect(step(r.runLog, 'success').step_type).toBe('success');
    expect(values(r.runLog.parameters)).toEqual({ one: 1 });
    expect(r.file).toEqual(r.runLog);
  });

  it('a throwing TS step fails the run; the step message holds the error', async () => {
    const r = await runYaml(
      `
dag:
  start_at: first
  steps:
    first: {type: task, command: funcs.ts:boom, next: second}
    second: {type: task, command: funcs.ts:hello, next: success}
`,
      { 'funcs.ts': FUNCS },
    );
    expect(r.status).toBe('FAIL');
    expect(r.file.status).toBe('FAIL');
    const first = step(r.runLog, 'first');
    expect(first.status).toBe('FAIL');
    expect(first.message).toContain('kaput in boom');
    expect(first.attempts).toHaveLength(1);
    expect(first.attempts[0]!.status).toBe('FAIL');
    expect(first.attempts[0]!.message).toContain('kaput in boom');
    expect(r.runLog.steps.second).toBeUndefined();
    expect(Object.keys(r.runLog.steps)).toEqual(['first', 'fail']);
    expect(step(r.runLog, 'fail').step_type).toBe('fail');
  });

  it('a failing shell step records the tail of its stderr', async () => {
    const r = await runYaml(`
dag:
  start_at: sh
  steps:
    sh:
      type: task
      command_type: shell
      command: |
        echo "to stdout"
        for i in $(seq 1 30); do echo "noise line $i" >&2; done
        echo "the real problem: disk on fire" >&2
        exit 3
      next: success
`);
    expect(r.status).toBe('FAIL');
    const sh = step(r.runLog, 'sh');
    expect(sh.status).toBe('FAIL');
    expect(sh.message).toContain('exit code 3');
    expect(sh.message).toContain('the real problem: disk on fire');
    expect(sh.message).toContain('noise line 30');
    expect(sh.message).not.toContain('noise line 1\n');
    expect(sh.message).not.toContain('to stdout');
  });

  it('on_failure leads to a recovery step and the run succeeds', async () => {
    const r = await runYaml(
      `
dag:
  start_at: first
  steps:
    first: {type: task, command: funcs.ts:boom, next: never, on_failure: recover}
    never: {type: task, command: funcs.ts:hello, next: success}
    recover: {type: task, command: funcs.ts:recover, next: success}
`,
      { 'funcs.ts': FUNCS },
    );
    expect(r.status).toBe('SUCCESS');
    expect(Object.keys(r.runLog.steps)).toEqual(['first', 'recover', 'success']);
    expect(step(r.runLog, 'first').status).toBe('FAIL');
    expect(step(r.runLog, 'recover').status).toBe('SUCCESS');
  });

  it('a user-defined fail step ends the run FAIL', async () => {
    const r = await runYaml(`
dag:
  start_at: first
  steps:
    first: {type: stub, next: give_up}
    give_up: {type: fail}
`);
    expect(r.status).toBe('FAIL');
    expect(Object.keys(r.runLog.steps)).toEqual(['first', 'give_up']);
    expect(step(r.runLog, 'give_up').step_type).toBe('fail');
    expect(step(r.runLog, 'first').status).toBe('SUCCESS');
  });

  it('on_failure to a cleanup step that ends in a user fail step', async () => {
    const r = await runYaml(
      `
dag:
  start_at: first
  steps:
    first: {type: task, command: funcs.ts:boom, next: success, on_failure: cleanup}
    cleanup: {type: task, command_type: shell, command: echo cleaning, next: bad_end}
    bad_end: {type: fail}
`,
      { 'funcs.ts': FUNCS },
    );
    expect(r.status).toBe('FAIL');
    expect(Object.keys(r.runLog.steps)).toEqual(['first', 'cleanup', 'bad_end']);
    expect(step(r.runLog, 'cleanup').status).toBe('SUCCESS');
  });

  it('max_attempts: 3 retries a step that fails twice, recording every attempt', async () => {
    const r = await runYaml(
      `
dag:
  start_at: flaky
  steps:
    flaky: {type: task, command: funcs.ts:flaky, returns: [tries], max_attempts: 3, next: success}
`,
      { 'funcs.ts': FUNCS },
    );
    expect(r.status).toBe('SUCCESS');
    const s = step(r.runLog, 'flaky');
    expect(s.status).toBe('SUCCESS');
    expect(s.attempts.map((a) => a.attempt_number)).toEqual([1, 2, 3]);
    expect(s.attempts.map((a) => a.status)).toEqual(['FAIL', 'FAIL', 'SUCCESS']);
    expect(s.attempts[0]!.message).toContain('flaky failure 1');
    expect(s.attempts[1]!.message).toContain('flaky failure 2');
    expect(values(r.runLog.parameters)).toEqual({ tries: 3 });
    expect(readFileSync(join(r.cwd, 'attempts.txt'), 'utf8')).toBe('1,2,3,');
  });

  it('max_attempts exhausted: the step fails with every attempt recorded', async () => {
    const r = await runYaml(`
dag:
  start_at: sh
  steps:
    sh: {type: task, command_type: shell, command: 'echo "attempt $RUNNABLE_STEP_ATTEMPT" >&2; exit 1', max_attempts: 2, next: success}
`);
    expect(r.status).toBe('FAIL');
    const s = step(r.runLog, 'sh');
    expect(s.attempts.map((a) => [a.attempt_number, a.status])).toEqual([
      [1, 'FAIL'],
      [2, 'FAIL'],
    ]);
    expect(s.message).toContain('attempt 2');
  });
});
