/**
 * SDK twin of stub.yaml: three stubs in sequence, the skeleton of a pipeline whose steps are
 * fleshed out later.
 *
 *   runnable execute examples/01-tasks/stub.ts
 */
import { pipeline, stub } from 'runnable-ts';

export default pipeline([stub('step 1'), stub('step 2'), stub('step 3')], {
  description: 'step 1 >> step 2 >> step 3 >> success; all the steps are stubbed and just pass through.',
});
