/**
 * SDK twin of conditional.yaml: a conditional on a returned parameter; only the branch named
 * by the value of `toss` runs (FIX_RANDOM_TOSS=heads fixes the toss).
 *
 *   runnable execute examples/02-sequential/conditional.ts
 */
import { conditional, pipeline, stub, task } from 'runnable-ts';
import { toss_function, when_heads_function, when_tails_function } from '../common/functions.js';

export default pipeline(
  [
    task(toss_function, { name: 'toss_task', returns: ['toss'] }),
    conditional('conditional', {
      parameter: 'toss',
      branches: {
        heads: pipeline([task(when_heads_function, { name: 'when_heads_task' })]),
        tails: pipeline([task(when_tails_function, { name: 'when_tails_task' })]),
      },
    }),
    stub('continue to'),
  ],
  { description: 'toss_task >> conditional (heads: when_heads_task | tails: when_tails_task) >> continue to' },
);
