/**
 * SDK twin of typescript_tasks.yaml: one TypeScript function step. The function itself is the
 * command; the SDK records it as `examples/common/functions.ts:hello`.
 *
 *   runnable execute examples/01-tasks/typescript_tasks.ts
 */
import { pipeline, task } from 'runnable-ts';
import { hello } from '../common/functions.js';

export default pipeline([task(hello)], {
  description: 'The stdout of "Hello World!" is captured as the execution log and stored in the catalog.',
});
