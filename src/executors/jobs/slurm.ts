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
import { RunnableError } from '../../errors.js';
import type { Job } from '../../graph/model.js';
import type { Plugin } from '../../registry.js';
import type { JobLog, Status } from '../../runlog/types.js';
import type { RunContext } from '../context.js';
import { SlurmSession } from '../_slurm_session.js';
import { JOB_STEP } from './_run.js';
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

  async execute(rc: RunContext, job: Job): Promise<Status> {
    if (rc.log.store.type === 'buffered') {
      throw new RunnableError('E_CONFIG', "the slurm job executor runs the task in a Slurm job, which cannot see the 'buffered' run-log store: use chunked-fs or file-system", {
        field: 'run-log-store.type',
      });
    }
    if (!job.source.path || job.source.path.startsWith('<')) {
      throw new RunnableError('E_CONFIG', 'the slurm job executor loads the job from its file, and this job was built in memory', { field: 'job-executor.type' });
    }
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

      let record: JobLog | undefined = await rc.log.job();
      if (!record || record.status === 'PROCESSING' || record.attempts.length <= attemptsBefore) {
        // the job died before recording its end: say why, so `retry` can run it again
        const how = result.signal ?? `the job's process exited with code ${result.exitCode} without recording its end`;
        const tail = result.stderrTail.trim();
        const message = `${how}${rc.signal.aborted ? ' (interrupted)' : ''}${tail ? `\n--- stderr (last lines) ---\n${tail}` : ''}`;
        const base: JobLog = record ?? { status: 'FAIL', message: '', mock: false, code_identities: [await rc.codeIdentity()], attempts: [], data_catalog: [] };
        const now = new Date().toISOString();
        const attempt = { attempt_number: base.attempts.length + 1, start_time: now, end_time: now, status: 'FAIL' as const, message, input_parameters: {}, output_parameters: {}, user_defined_metrics: {} };
        record = { ...base, status: 'FAIL', message, attempts: [...base.attempts, attempt] };
        rc.observer.stepFinished?.({ internalName: JOB_STEP, type: 'job', status: 'FAIL', durationMs: 0, message });
      } else {
        const last = record.attempts.at(-1)!;
        const ms = Date.parse(last.end_time) - Date.parse(last.start_time);
        rc.observer.stepFinished?.({ internalName: JOB_STEP, type: 'job', status: record.status, durationMs: Number.isFinite(ms) ? ms : 0, message: record.message });
      }
      const where = [result.end.partition && `partition ${result.end.partition}`, result.end.nodes && `node ${result.end.nodes}`].filter(Boolean).join(', ');
      const identity = {
        code_identifier: submitted!.id,
        code_identifier_type: 'slurm',
        code_identifier_dependable: true,
        code_identifier_url: '',
        code_identifier_message: `Slurm job ${submitted!.id}${where ? ` (${where})` : ''}: ${result.end.state}`,
      };
      await rc.log.putJob({ ...record, code_identities: [...record.code_identities.filter((c) => c.code_identifier !== submitted!.id), identity] });
      return record.status === 'SUCCESS' ? 'SUCCESS' : 'FAIL';
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
