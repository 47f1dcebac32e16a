/**
 * SDK twin of scripts.yaml: a job running a shell command. Any task step makes a job; its name
 * only labels the step (the job's task is always named `job` in the run log).
 *
 *   runnable execute-job examples/11-jobs/scripts.ts
 */
import { job, shell } from 'runnable-ts';

export default job(shell("echo 'Hello World!'", { name: 'hello' }));
