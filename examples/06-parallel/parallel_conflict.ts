/**
 * SDK twin of parallel_conflict.yaml: two branches return the same name; the later branch in
 * declaration order wins.
 *
 *   runnable execute examples/06-parallel/parallel_conflict.ts
 */
import { parallel, pipeline, task } from 'runnable-ts';
import { set_shared_param_a, set_shared_param_b } from '../common/functions.js';

export default pipeline([
  parallel('parallel', {
    branch1: pipeline([task(set_shared_param_a, { name: 'branch1_task', returns: ['shared'] })]),
    branch2: pipeline([task(set_shared_param_b, { name: 'branch2_task', returns: ['shared'] })]),
  }),
]);
