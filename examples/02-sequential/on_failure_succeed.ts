/**
 * SDK twin of on_failure_succeed.yaml: when step_1 fails, step_4 handles it and the run
 * succeeds.
 *
 *   runnable execute examples/02-sequential/on_failure_succeed.ts
 */
import { pipeline, shell, stub } from 'runnable-ts';

const handler = pipeline([stub('step_4', { terminateWithSuccess: true })]);

export default pipeline([shell('exit 1', { name: 'step_1', onFailure: handler }), stub('step_2'), stub('step_3')], {
  description: 'step_1 (FAIL) >> step_4 >> success',
});
