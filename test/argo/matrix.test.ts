/**
 * The portability matrix under Argo: each case compiles to a Workflow that the strict schema
 * accepts (checked in compile()), the test interpreter runs it (every pod a real `runnable`
 * process on the claim's folder), and the run ends as under `local`: the same statuses, step
 * and branch records, final parameters and catalog hashes. The interpreter stands in for an
 * Argo controller, which these machines do not have (see ./_interpreter.ts for what it models).
 */
import { afterAll, describe, expect, test } from 'vitest';
import { MATRIX_CASES, cleanup, runUnder, signature } from '../executors/_emulate.js';
import { catalogHashes, compile, interpret, uniqueRunId } from './_harness.js';

afterAll(cleanup);

describe.each(MATRIX_CASES)('$pipeline', (c) => {
  test('runs in the interpreter to the same result as local', async () => {
    const local = await runUnder('local', c.pipeline, { params: c.params });
    const compiled = await compile(c.pipeline, { params: c.params });
    const run = await interpret(compiled, uniqueRunId('matrix'));
    const failed = run.pods.filter((p) => p.phase !== 'Succeeded').map((p) => `${p.template}: ${p.stderr.slice(-400)}`);
    expect(run.phase, failed.join('\n')).toBe(c.status === 'SUCCESS' ? 'Succeeded' : 'Failed');
    expect(run.runLog?.status).toBe(c.status);
    expect(signature(run.runLog!)).toEqual(signature(local.runLog));
    expect(catalogHashes(run.runLog!)).toEqual(catalogHashes(local.runLog));
  }, 900_000);
});
