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

describe('typescript task called many times', () => {
  // the cost per call is a figure for bench/ (chain.mjs), not a bound a loaded machine could break
  it('loads the module once and gives the same result every call', async () => {
    const input = taskInput(taskNode('typescript', 'functions.ts:plain', ['r']), {
      params: paramView({ a: 1, b: 'x' }),
      output: { stdout() {}, stderr() {} },
    });
    for (let i = 0; i < 200; i++) await typescriptTask.run(input);
    const calls = 2_000;
    const t0 = performance.now();
    const results = new Set<string>();
    for (let i = 0; i < calls; i++) results.add(JSON.stringify((await typescriptTask.run(input)).returns));
    expect([...results]).toHaveLength(1);
    console.log(`typescript task: ${(((performance.now() - t0) / calls) * 1000).toFixed(1)} µs per call`);
  });
});
