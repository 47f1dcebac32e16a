/**
 * `runnable-ts/testing`: test your own pipelines (vitest, jest, `node:test`). Run a pipeline or
 * a job in memory, with steps patched by name, and assert on the run log it returns.
 *
 * @example
 * import { test } from 'node:test';
 * import assert from 'node:assert/strict';
 * import { runPipeline, stepOf, valuesOf, assertSucceeded } from 'runnable-ts/testing';
 * import etl from '../pipelines/etl.ts';
 *
 * test('load sees what transform returned', async () => {
 *   const log = await runPipeline(etl, { patches: { extract: () => [{ id: 1 }] } });
 *   assertSucceeded(log);
 *   assert.deepEqual(valuesOf(log).loaded, 1);
 * });
 */
export { runPipeline, runJob } from './run.js';
export type { Patch, TestRunOptions, TestPipelineOptions } from './run.js';
export {
  stepOf,
  branchOf,
  branchNames,
  statuses,
  allSteps,
  mockedSteps,
  attemptsOf,
  valuesOf,
  inputsOf,
  outputsOf,
  metricsOf,
  assertSucceeded,
  assertFailed,
} from './assert.js';
export type { RunLog, StepLog, BranchLog, StepAttempt, JobLog, Parameters, Parameter, Status } from '../runlog/types.js';
