/**
 * SDK twin of typescript_tasks.yaml: a job running one TypeScript function (runnable's
 * `PythonJob(function=hello)`). `job(fn)` is `job(task(fn))`.
 *
 *   runnable execute-job examples/11-jobs/typescript_tasks.ts
 */
import { job } from 'runnable-ts';
import { hello } from '../common/functions.js';

export default job(hello);
