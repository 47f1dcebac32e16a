/**
 * The portability matrix (emulate column): every kind of example pipeline gives identical step
 * and branch statuses, attempts and parameters under `local`, `local` with `max_parallel`, and
 * `emulate` (each task in its own `execute-single-node` process, composites through `fan`) on
 * the concurrent `chunked-fs` store and the single-writer `file-system` store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIGS, MATRIX_CASES, cleanup, runUnder, signature, type MatrixRun } from './_emulate.js';


const CASES = MATRIX_CASES;

afterAll(cleanup);

describe.each(CASES)('$pipeline', (c) => {
  const runs: Record<string, MatrixRun> = {};
  beforeAll(async () => {
    const names = Object.keys(CONFIGS);
    const results = await Promise.all(names.map((name) => runUnder(name, c.pipeline, { params: c.params })));
    names.forEach((name, i) => (runs[name] = results[i]!));
  }, 1_800_000);

  it('ends as expected under local', () => {
    const local = runs.local!;
    expect(local.runLog.status, local.stderr.slice(-2000)).toBe(c.status);
    expect(local.code).toBe(c.status === 'SUCCESS' ? 0 : 1);
  });

  for (const name of Object.keys(CONFIGS).filter((n) => n !== 'local')) {
    it(`gives the same statuses and parameters under ${name}`, () => {
      const run = runs[name]!;
      expect(run.code, run.stderr.slice(-3000)).toBe(c.status === 'SUCCESS' ? 0 : 1);
      expect((run.runLog.run_config['pipeline-executor'] as { type: string }).type).toBe(name.split(' ')[0]);
      expect(signature(run.runLog)).toEqual(signature(runs.local!.runLog));
    });
  }
});
