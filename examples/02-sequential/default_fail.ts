/**
 * SDK twin of default_fail.yaml: a failing step ends the run (step 3 never runs).
 *
 *   runnable execute examples/02-sequential/default_fail.ts
 */
import { pipeline, stub, task } from 'runnable-ts';
import { raise_ex } from '../common/functions.js';

export default pipeline([stub('step 1'), task(raise_ex, { name: 'step 2' }), stub('step 3')], {
  description: 'step 1 >> step 2 (FAIL) >> fail',
});
