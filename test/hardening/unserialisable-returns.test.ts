/**
 * Issue 13 item 5: a TS step (or a map's reducer) returning a value JSON cannot carry unchanged
 * fails its step with a clear message, worded as Python steps word it; the run ends FAIL (exit
 * 1) with nothing left PROCESSING, no stack trace, and `retry` completes it once the function
 * returns plain data. NaN, undefined and Date are rejected too (JSON would change them silently).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';
import { cli, oneStep, STACK_LINE, workdir } from './_cli.js';

const BAD: Record<string, [string, RegExp]> = {
  circular: ['const a: any = { n: 1 }; a.self = a; return a;', /r\.self refers back to r \(a cycle\)/],
  bigint: ['return { n: 10n };', /r\.n is a bigint/],
  throwingGetter: ["return { get x() { throw new Error('getter says no'); } };", /reading r\.x threw Error: getter says no/],
  throwingToJSON: ["return { toJSON() { throw new Error('toJSON says no'); } };", /r\.toJSON is a function/],
  deepArray: ['let a: any = []; for (let i = 0; i < 20_000; i++) a = [a]; return a;', /nested deeper than 500 levels/],
  hugeString: ["return 'x'.repeat(300 * 1024 * 1024);", /r is more than 16 MB as JSON/],
  nestedNaN: ['return { scores: [1, NaN] };', /r\.scores\[1\] is NaN/],
  nestedUndefined: ['return { a: 1, b: undefined };', /r\.b is undefined/],
  date: ['return { when: new Date(0) };', /r\.when is a Date, not plain data/],
  map: ['return new Map([[1, 2]]);', /r is a Map, not plain data/],
};

function runLog(dir: string, runId: string): { status: string; steps: Record<string, Step> } {
  return JSON.parse(readFileSync(path.join(dir, '.run_log_store', `${runId}.json`), 'utf8'));
}
interface Step {
  status: string;
  message: string;
  branches?: Record<string, { status: string; steps: Record<string, Step> }>;
}
function statuses(steps: Record<string, Step>): string[] {
  return Object.values(steps).flatMap((s) => [s.status, ...Object.values(s.branches ?? {}).flatMap((b) => [b.status, ...statuses(b.steps)])]);
}

describe.concurrent('a TS step returning what JSON cannot carry fails that step; retry completes the run', () => {
  it.for(Object.entries(BAD))('%s', async ([name, [body, message]], { expect }) => {
    const dir = workdir({
      'fns.ts': `export function f(): unknown { ${body} }\n`,
      'p.yaml': oneStep('command: fns.ts:f\nreturns: [r]'),
    });
    const first = await cli(['execute', 'p.yaml', '--run-id', `bad-${name.toLowerCase()}`], dir);
    expect(first.code, first.stderr).toBe(1);
    expect(first.stderr).not.toMatch(STACK_LINE);
    expect(first.stderr).not.toMatch(/internal error/i);
    const log = runLog(dir, `bad-${name.toLowerCase()}`);
    expect(log.status).toBe('FAIL');
    expect(log.steps.s!.message).toMatch(/^returned 'r' is not a JSON value \(/);
    expect(log.steps.s!.message).toMatch(message);
    expect(log.steps.s!.message).toMatch(/declare it as \{name: r, kind: object\}/);
    expect(statuses(log.steps)).not.toContain('PROCESSING');

    writeFileSync(path.join(dir, 'fns.ts'), 'export function f() { return { ok: true }; }\n');
    const again = await cli(['retry', `bad-${name.toLowerCase()}`], dir);
    expect(again.code, again.stderr).toBe(0);
    expect(runLog(dir, `bad-${name.toLowerCase()}`).status).toBe('SUCCESS');
  });
});

const MAP = `dag:
  start_at: m
  steps:
    m:
      type: map
      iterate_on: xs
      iterate_as: x
      reducer: reduce.ts:r
      branch:
        start_at: s
        steps:
          s: {type: task, command: fns.ts:one, returns: [v], next: success}
      next: success
`;

describe.concurrent('a reducer returning what JSON cannot carry fails the map step; retry completes the run', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['circular', 'const a: any = { vs }; a.self = a; return a;', /v\.self refers back to v/],
    ['bigint', 'return BigInt(vs.length);', /v is a bigint/],
    ['deep', 'let a: any = vs; for (let i = 0; i < 20_000; i++) a = [a]; return a;', /nested deeper than 500 levels/],
    ['throwingGetter', "return { get x() { throw new Error('no'); } };", /reading v\.x threw Error: no/],
  ];
  it.for(cases)('%s', async ([name, body, message], { expect }) => {
    const runId = `reduce-${name.toLowerCase()}`;
    const dir = workdir({
      'fns.ts': 'export function one(x: number) { return x * 2; }\n',
      'reduce.ts': `export function r(vs: number[]): unknown { ${body} }\n`,
      'params.yaml': 'xs: [1, 2, 3]\n',
      'p.yaml': MAP,
    });
    const first = await cli(['execute', 'p.yaml', '-p', 'params.yaml', '--run-id', runId], dir);
    expect(first.code, first.stderr).toBe(1);
    expect(first.stderr).not.toMatch(STACK_LINE);
    const log = runLog(dir, runId);
    expect(log.steps.m!.message).toMatch(/^reducer failed: returned 'v' is not a JSON value \(/);
    expect(log.steps.m!.message).toMatch(message);
    expect(statuses(log.steps)).not.toContain('PROCESSING');

    writeFileSync(path.join(dir, 'reduce.ts'), 'export function r(vs: number[]) { return Math.max(...vs); }\n');
    const again = await cli(['retry', runId], dir);
    expect(again.code, again.stderr).toBe(0);
    const done = JSON.parse(readFileSync(path.join(dir, '.run_log_store', `${runId}.json`), 'utf8'));
    expect(done.parameters.v).toEqual({ kind: 'json', value: 6 });
  });
});
