/**
 * SDK twin of parallel_rollback.yaml: parameters returned in branches are merged into the
 * parent.
 *
 *   runnable execute examples/06-parallel/parallel_rollback.ts
 */
import { parallel, pipeline, task } from 'runnable-ts';
import { set_parallel_branch1, set_parallel_branch2, set_parallel_branch3, verify_parallel_rollback } from '../common/functions.js';

export default pipeline([
  parallel('parallel', {
    branch1: pipeline([task(set_parallel_branch1, { name: 'branch1_task', returns: ['result1'] })]),
    branch2: pipeline([task(set_parallel_branch2, { name: 'branch2_task', returns: ['result2'] })]),
    branch3: pipeline([task(set_parallel_branch3, { name: 'branch3_task', returns: ['result3'] })]),
  }),
  task(verify_parallel_rollback, { name: 'verify' }),
]);
