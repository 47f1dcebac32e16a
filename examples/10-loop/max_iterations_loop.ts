/**
 * SDK twin of max_iterations_loop.yaml: a loop that reaches `maxIterations` and keeps the last
 * iteration's parameters.
 *
 *   runnable execute examples/10-loop/max_iterations_loop.ts
 */
import { loop, pipeline, task } from 'runnable-ts';
import { check_final_count, never_stop_task } from '../common/functions.js';

export default pipeline([
  loop('max_iter_loop', {
    branch: pipeline([task(never_stop_task, { name: 'never_stop', returns: ['counter', 'should_stop', 'message'] })]),
    maxIterations: 3,
    breakOn: 'should_stop',
    indexAs: 'counter',
  }),
  task(check_final_count, { name: 'validate_max_iter', returns: ['final_counter', 'hit_max_iterations', 'validation_passed'] }),
]);
