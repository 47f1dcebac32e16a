/**
 * SDK twin of nesting.yaml: parallel > map > parallel; the map item is visible two levels down.
 *
 *   runnable execute examples/06-parallel/nesting.ts -p examples/common/initial_parameters.yaml
 */
import { map, parallel, pipeline, shell, stub, task } from 'runnable-ts';
import { hello } from '../common/functions.js';

const simpleBranch = pipeline([
  stub('hello stub'),
  task(hello, { name: 'hello typescript' }),
  shell('echo "Hello World! chunk=$chunk"', { name: 'hello shell' }),
]);

const parallelBranch = pipeline([parallel('inner_parallel', { a: simpleBranch, b: simpleBranch })]);

const mapBranch = pipeline([map('map_step', { iterateOn: 'chunks', iterateAs: 'chunk', branch: parallelBranch })]);

export default pipeline([parallel('outer_parallel', { branch1: mapBranch, branch2: mapBranch })]);
