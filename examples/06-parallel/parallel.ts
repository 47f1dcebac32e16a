/**
 * SDK twin of parallel.yaml: a parallel step whose two branches are the same pipeline (the YAML
 * uses an anchor; here it is one value used twice).
 *
 *   runnable execute examples/06-parallel/parallel.ts
 */
import { parallel, pipeline, shell, stub, task } from 'runnable-ts';
import { async_hello, hello } from '../common/functions.js';

const branch = pipeline([
  stub('hello stub'),
  task(hello, { name: 'hello typescript' }),
  shell('echo "Hello World!"', { name: 'hello shell' }),
  task(async_hello, { name: 'hello async' }),
]);

export default pipeline([parallel('parallel_step', { branch1: branch, branch2: branch }), stub('continue_to')]);
