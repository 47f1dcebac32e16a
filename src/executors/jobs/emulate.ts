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
import { z } from 'zod';
import type { Job } from '../../graph/model.js';
import type { Plugin } from '../../registry.js';
import type { RunLogStore, Status } from '../../runlog/types.js';
import type { RunContext } from '../context.js';
import type { StepCommand } from '../_protocol.js';
import { JOB_STEP } from './_run.js';
import { jobFileFor, processEnd, settleRemoteJob } from './_remote.js';
import type { JobExecutor } from './types.js';
import { installed } from '../../util/package-root.js';

const ENTRY = installed('dist/bundle/container-job.mjs');

export const emulateJobConfig = z.strictObject({});

export class EmulateJobExecutor implements JobExecutor {
  readonly type = 'emulate';
  /** the child process writes the run log */
  readonly exclusive = false;

  check(job: Job, store: RunLogStore): void {
    jobFileFor(store, job, this.type, 'in a child process');
  }

  async execute(rc: RunContext, job: Job): Promise<Status> {
    const file = jobFileFor(rc.log.store, job, this.type, 'in a child process');
    // loaded now, not with this module: the executors import the runner, which imports this family
    const { ChildProcessTraversal } = await import('../emulate.js');
    /** emulate's process handling (output, SIGTERM on abort, stderr tail), running the job's entry */
    class JobProcess extends ChildProcessTraversal {
      protected override processFor(_rc: RunContext, cmd: StepCommand): { file: string; args: string[] } {
        return { file: process.execPath, args: [ENTRY, ...cmd.args] };
      }
    }
    const before = (await rc.log.job())?.attempts.length ?? 0;
    rc.observer.stepStarted?.({ internalName: JOB_STEP, type: 'job', attempt: before + 1 });
    const args = [rc.runId, file, ...(rc.configFile ? [rc.configFile] : [])];
    const result = await new JobProcess(1).launch(rc, { kind: 'execute-single-node', args, node: job.task, internalName: JOB_STEP });
    // the run log is the truth; a child that died before recording the job's end fails it
    return settleRemoteJob(rc, before, processEnd("the job's process", result));
  }
}

export const emulateJob: Plugin<JobExecutor, z.infer<typeof emulateJobConfig>> = {
  config: emulateJobConfig,
  create: () => new EmulateJobExecutor(),
};
