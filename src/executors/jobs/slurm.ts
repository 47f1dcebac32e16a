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
import { z } from 'zod';
import type { Job } from '../../graph/model.js';
import type { Plugin } from '../../registry.js';
import type { RunLogStore, Status } from '../../runlog/types.js';
import type { RunContext } from '../context.js';
import { SlurmSession, slurmIdentity } from '../_slurm_session.js';
import { JOB_STEP } from './_run.js';
import { jobFileFor, settleRemoteJob } from './_remote.js';
import type { JobExecutor } from './types.js';

export const slurmJobConfig = z.strictObject({
  partition: z.string().min(1).optional(),
  account: z.string().min(1).optional(),
  time: z.string().min(1).optional(),
  cpus_per_task: z.number().int().min(1).optional(),
  mem: z.string().min(1).optional(),
  gres: z.string().min(1).optional(),
  sbatch_options: z.array(z.string().regex(/^-/, 'an sbatch option starts with -')).default([]),
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

  async execute(rc: RunContext, job: Job): Promise<Status> {
    const { log_folder, poll_interval, ...resources } = this.config;
    const session = new SlurmSession(rc.runId, rc.cwd, log_folder, poll_interval * 1000, (line) => rc.observer.output?.('slurm', 2, line));
    const cancel = () => void session.cancelAll();
    rc.signal.addEventListener('abort', cancel, { once: true });
    try {
      const attemptsBefore = (await rc.log.job())?.attempts.length ?? 0;
      const cmd = { kind: 'execute-single-node' as const, args: [], node: job.task, internalName: JOB_STEP };
      const body = { jobTask: { runId: rc.runId, cwd: rc.cwd, ...(rc.configFile ? { configFile: rc.configFile } : {}) } };
      const [submitted] = await session.submit([cmd], { resources }, body);
      rc.observer.stepStarted?.({ internalName: JOB_STEP, type: 'job', attempt: attemptsBefore + 1 });
      const result = await session.result(submitted!);
      if (result.stdout) rc.observer.output?.(JOB_STEP, 1, result.stdout);
      if (result.stderr) rc.observer.output?.(JOB_STEP, 2, result.stderr);

      const identity = slurmIdentity(submitted!.id, result.end);
      // a job that died before recording its end (scancel, time limit) fails with Slurm's reason, so `retry` can run it again
      const how = result.signal ?? `the job's process exited with code ${result.exitCode} without recording its end`;
      return settleRemoteJob(rc, attemptsBefore, { how, stderrTail: result.stderrTail }, (ids) => [...ids.filter((c) => c.code_identifier !== submitted!.id), identity]);
    } finally {
      rc.signal.removeEventListener('abort', cancel);
      await session.cancelAll();
      session.close();
    }
  }
}

export const slurmJob: Plugin<JobExecutor, SlurmJobConfig> = {
  config: slurmJobConfig,
  create: (config) => new SlurmJobExecutor(config),
};
