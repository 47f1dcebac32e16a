/**
 * SDK twin of parallel_branch_fail.yaml: one branch fails; every branch still runs and the
 * parallel step fails.
 *
 *   runnable execute examples/06-parallel/parallel_branch_fail.ts
 */
import { parallel, pipeline, shell, stub, task, type AnyFunction } from 'runnable-ts';
import { async_hello, hello, raise_ex } from '../common/functions.js';

const branch = (typescript: AnyFunction) =>
  pipeline([
    stub('hello stub'),
    task(typescript, { name: 'hello typescript' }),
    shell('echo "Hello World!"', { name: 'hello shell' }),
    task(async_hello, { name: 'hello async' }),
  ]);

export default pipeline([parallel('parallel_step', { branch1: branch(hello), branch2: branch(raise_ex) })]);
