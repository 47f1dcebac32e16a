/**
 * `slurm` job executor: the job's task runs as one Slurm batch job (`runnable execute-job` waits
 * for it, following it with `squeue`; Ctrl-C cancels it). The job records itself in the run
 * log's `job` section, and its Slurm job id goes into `code_identities` after the git identity.
 * A job cancelled or killed before recording its end (scancel, time limit, out of memory) is
 * recorded FAIL with Slurm's reason. Resources as for the pipeline executor (`overrides` do
 * not apply: a job is one task).
 *
 * @example
 * # runnable-config.yaml
 * job-executor:
 *   type: slurm
 *   config: {partition: cpu, time: "02:00:00", mem: 16G}
 * run-log-store:
 *   type: chunked-fs
 */
import * as z from 'zod';
import type { Job } from '../../graph/model.js';
import type { Plugin } from '../../registry.js';
import type { RunLogStore, Status } from '../../runlog/types.js';
import type { RunContext } from '../../engine/context.js';
import { withSlurmSession } from '../_slurm_session.js';
import { SlurmLauncher } from '../_slurm_launcher.js';
import { slurmResources } from '../slurm.js';
import { jobFileFor, runJobElsewhere } from './_remote.js';
import type { JobExecutor } from './types.js';

export const slurmJobConfig = z.strictObject({
  ...slurmResources,
  sbatch_options: slurmResources.sbatch_options.unwrap().default([]),
  log_folder: z.string().min(1).default('.slurm_logs'),
  poll_interval: z.number().positive().default(0.5),
});
type SlurmJobConfig = z.infer<typeof slurmJobConfig>;

export class SlurmJobExecutor implements JobExecutor {
  readonly type = 'slurm';
  readonly exclusive = false;
  constructor(private readonly config: SlurmJobConfig) {}

  check(job: Job, store: RunLogStore): void {
    jobFileFor(store, job, this.type, 'in a Slurm job');
  }

  execute(rc: RunContext, job: Job): Promise<Status> {
    const { log_folder, poll_interval, ...resources } = this.config;
    return withSlurmSession(rc, log_folder, poll_interval, (session) =>
      // a job that died before recording its end (scancel, time limit) fails with Slurm's reason, so `retry` can run it again
      runJobElsewhere(rc, job, this.type, 'in a Slurm job', new SlurmLauncher(session, { resourcesOf: () => resources }), "the job's process"),
    );
  }
}

export const slurmJob: Plugin<JobExecutor, SlurmJobConfig> = {
  config: slurmJobConfig,
  create: (config) => new SlurmJobExecutor(config),
};
