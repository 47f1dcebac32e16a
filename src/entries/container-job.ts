/**
 * `node dist/bundle/container-job.mjs RUN_ID JOB [CONFIG]` (this file, bundled by
 * scripts/bundle.mjs): the job-task program (job-task.ts) as a process of its own.
 */
import { exitWhenDrained } from './_exit.js';
import { runJobTaskEntry } from './job-task.js';

// no top-level await: the bundles are CommonJS, for V8's code cache (scripts/bundle.mjs)
void runJobTaskEntry(process.argv.slice(2)).then(exitWhenDrained);
