/**
 * SDK twin of python_tasks.yaml: a job calling a Python function by its dotted name.
 *
 *   runnable execute-job examples/11-jobs/python_tasks.ts
 */
import { job, python } from 'runnable-ts';

export default job(python('examples.common.functions.hello', { name: 'hello' }));
