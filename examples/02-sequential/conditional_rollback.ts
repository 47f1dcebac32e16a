/**
 * SDK twin of conditional_rollback.yaml: a parameter returned inside the branch that ran is
 * visible after the conditional.
 *
 *   runnable execute examples/02-sequential/conditional_rollback.ts
 */
import { conditional, pipeline, task } from 'runnable-ts';
import {
  decide_heads,
  set_conditional_heads_param,
  set_conditional_tails_param,
  verify_conditional_rollback,
} from '../common/functions.js';

export default pipeline(
  [
    task(decide_heads, { name: 'decide', returns: ['choice'] }),
    conditional('conditional', {
      parameter: 'choice',
      branches: {
        heads: pipeline([task(set_conditional_heads_param, { name: 'heads_task', returns: ['branch_param'] })]),
        tails: pipeline([task(set_conditional_tails_param, { name: 'tails_task', returns: ['branch_param'] })]),
      },
    }),
    task(verify_conditional_rollback, { name: 'verify' }),
  ],
  { description: 'decide >> conditional (heads | tails, each returning branch_param) >> verify' },
);
