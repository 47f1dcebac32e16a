/**
 * The testing helpers are typed so that a misuse does not compile: each `@ts-expect-error`
 * line below must be an error for `npx tsc -p tsconfig.json --noEmit` (which checks test/), and
 * tsc fails on one that is not. The lines never run: they sit in a function vitest never calls.
 */
import { expect, it } from 'vitest';
import { assertFailed, assertSucceeded, inputsOf, metricsOf, outputsOf, runPipeline, statuses, stepOf, valuesOf, type RunLog } from '../../src/testing/index.js';
import { pipeline, shell } from '../../src/sdk/index.js';

function misuses(log: RunLog): void {
  const p = pipeline([shell('true', { name: 'ok' })]);
  // @ts-expect-error a promise of a run log, not awaited
  metricsOf(runPipeline(p));
  // @ts-expect-error a pipeline is not its run log
  metricsOf(p);
  // @ts-expect-error a step's log, where the run's is taken (give the step's name instead)
  metricsOf(log.steps.ok!);
  // @ts-expect-error the step is named by its internal name, a string
  metricsOf(log, log.steps.ok!);
  // @ts-expect-error a metric's value is unknown until checked
  metricsOf(log, 'ok').accuracy.toFixed(2);
  // @ts-expect-error one parameter, not a parameter map
  valuesOf(log.parameters.x!);
  // @ts-expect-error an attempt is not a parameter map: take its input_parameters
  valuesOf(log.steps.ok!.attempts[0]!);
  // @ts-expect-error statuses of a run or a branch, not of a step
  statuses(log.steps.ok!);
  // @ts-expect-error inputsOf and outputsOf take the run log first
  inputsOf('ok', log);
  // @ts-expect-error the step name is a string
  outputsOf(log, 1);
  // @ts-expect-error assertSucceeded takes the run log, not its statuses
  assertSucceeded(statuses(log));
  // @ts-expect-error stepOf needs the step's name
  stepOf(log);
  // @ts-expect-error assertFailed names a step by a string
  assertFailed(log, ['ok']);
}

it('the misuses above are type errors (checked by tsc, not run)', () => {
  expect(typeof misuses).toBe('function');
});
