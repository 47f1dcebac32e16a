import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { typescriptTask } from '../../src/tasks/typescript.js';
import { fixtures, paramView, taskInput, taskNode } from './_helpers.js';

const root = path.resolve(fixtures, '../../..');

describe('typescript task in a plain Node process', () => {
  it("captures output written through Node's own console", () => {
    const text = execFileSync(process.execPath, ['--import', 'tsx', 'test/fixtures/tasks/driver.ts'], { cwd: root }).toString();
    const [outside, json] = text.trimEnd().split('\n');
    expect(outside).toBe('outside the task');
    expect(JSON.parse(json!)).toEqual({
      result: { returns: { r: 'real' }, consumed: ['x'] },
      out: 'out real\nraw bytes\n',
      err: 'err real\n',
    });
  });
});

describe('typescript task per-call cost', () => {
  it('stays far below 1 ms per call once loaded', async () => {
    const input = taskInput(taskNode('typescript', 'functions.ts:plain', ['r']), {
      params: paramView({ a: 1, b: 'x' }),
      output: { stdout() {}, stderr() {} },
    });
    for (let i = 0; i < 200; i++) await typescriptTask.run(input);
    const calls = 2_000;
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) await typescriptTask.run(input);
    // measured at 6–11 µs; the bound leaves room for a machine loaded by the rest of the suite
    expect((performance.now() - t0) / calls).toBeLessThan(0.5);
  });
});
