/**
 * SDK twin of traversal.yaml: stub, TypeScript, shell and async TypeScript steps in sequence.
 * The list order is the traversal: each step's `next` is the one after it.
 *
 *   runnable execute examples/02-sequential/traversal.ts
 */
import { pipeline, shell, stub, task } from 'runnable-ts';
import { async_hello, hello } from '../common/functions.js';

export default pipeline(
  [
    stub('hello stub'),
    task(hello, { name: 'hello typescript' }),
    shell('echo "Hello World!"', { name: 'hello shell' }),
    task(async_hello, { name: 'hello async' }), // async functions are awaited
  ],
  { description: 'A mix of stub, typescript, shell and async typescript tasks.' },
);
