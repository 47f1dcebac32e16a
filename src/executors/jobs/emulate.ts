/**
 * `emulate` job executor (runnable's config spells it `emulator`, also accepted): the job's
 * task runs in a child process of `runnable execute-job`, with this node and this installation,
 * exactly as a container or a cluster would run it: the process loads the job from its file and
 * sees the run only through the run log, the catalog and its command line
 * (`node dist/bundle/container-job.mjs RUN_ID JOB [CONFIG]`, what the `local-container` job's container
 * runs). A job that runs under `emulate` runs remotely as it is.
 *
 * The child's output is streamed live; Ctrl-C (or SIGTERM) stops it with SIGTERM and it records
 * the job FAIL; a child that dies without recording its end (killed, crashed) fails the job with
 * its exit status and the tail of its stderr. The run log must be on disk (`chunked-fs` or
 * `file-system`, not `buffered`) and the job in a file (YAML, or a module default-exporting it).
 *
 * @example
 * # runnable-config.yaml
 * job-executor:
 *   type: emulate
 * run-log-store:
 *   type: chunked-fs
 */
import * as z from 'zod';
import type { Job } from '../../graph/model.js';
import type { Plugin } from '../../registry.js';
import type { RunLogStore, Status } from '../../runlog/types.js';
import type { RunContext } from '../../engine/context.js';
import { ChildProcessLauncher } from '../_child_launcher.js';
import { jobFileFor, runJobElsewhere } from './_remote.js';
import type { JobExecutor } from './types.js';

export const emulateJobConfig = z.strictObject({});

export class EmulateJobExecutor implements JobExecutor {
  readonly type = 'emulate';
  /** the child process writes the run log */
  readonly exclusive = false;

  check(job: Job, store: RunLogStore): void {
    jobFileFor(store, job, this.type, 'in a child process');
  }

  execute(rc: RunContext, job: Job): Promise<Status> {
    return runJobElsewhere(rc, job, this.type, 'in a child process', new ChildProcessLauncher(), "the job's process");
  }
}

export const emulateJob: Plugin<JobExecutor, z.infer<typeof emulateJobConfig>> = {
  config: emulateJobConfig,
  create: () => new EmulateJobExecutor(),
};
