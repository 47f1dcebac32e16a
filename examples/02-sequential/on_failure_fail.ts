/**
 * SDK twin of on_failure_fail.yaml: when step_1 fails, step_4 runs and the run then fails.
 * `onFailure` takes a pipeline: its steps join the graph and step_1's `on_failure` points at
 * its first step.
 *
 *   runnable execute examples/02-sequential/on_failure_fail.ts
 */
import { pipeline, shell, stub } from 'runnable-ts';

const handler = pipeline([stub('step_4', { terminateWithFailure: true })]);

export default pipeline([shell('exit 1', { name: 'step_1', onFailure: handler }), stub('step_2'), stub('step_3')], {
  description: 'step_1 (FAIL) >> step_4 >> fail',
});
