/**
 * SDK twin of simple_loop.yaml: a loop until `should_stop` is true; the iteration index is the
 * parameter `counter`.
 *
 *   runnable execute examples/10-loop/simple_loop.ts
 */
import { loop, pipeline, task } from 'runnable-ts';
import { counter_task } from '../common/functions.js';

export default pipeline([
  loop('counter_loop', {
    branch: pipeline([task(counter_task, { name: 'count', returns: ['should_stop'] })]),
    maxIterations: 5, // safety limit
    breakOn: 'should_stop',
    indexAs: 'counter',
  }),
]);
