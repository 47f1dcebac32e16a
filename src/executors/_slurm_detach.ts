/**
 * `slurm` with `detach: true`: `runnable execute` creates the run, submits one more job — the
 * driver — and returns; the driver job (src/entries/slurm-driver.ts) runs the traversal inside the cluster exactly as the
 * attached CLI would (submitting each step as a job, following them, settling the run's
 * status). `scancel` of the driver job cancels the run's jobs and leaves the run FAIL, ready
 * for `runnable retry`.
 */
import type { Status } from '../runlog/types.js';
import type { RunContext } from '../engine/context.js';
import { pipelineFile } from '../engine/protocol.js';
import { SlurmSession, resourceArgs } from './_slurm_session.js';
import type { SlurmConfig } from './slurm.js';

/** What the driver job is told (the `drive` entry of its spec file). */
export interface DriveSpec {
  runId: string;
  cwd: string;
  configFile?: string;
  /** `runnable retry`: steps that succeeded before are skipped */
  retrying: boolean;
}

/** Submits the driver job of a run whose log exists; the run stays PROCESSING. */
export async function detachRun(rc: RunContext, config: SlurmConfig): Promise<Status> {
  pipelineFile(rc); // the driver job loads the pipeline from its file
  const session = new SlurmSession(rc.runId, rc.cwd, config.log_folder, config.poll_interval * 1000, () => undefined);
  try {
    const spec: DriveSpec = { runId: rc.runId, cwd: rc.cwd, retrying: rc.retrying, ...(rc.configFile ? { configFile: rc.configFile } : {}) };
    const resources = { partition: config.partition, account: config.account, time: config.driver_time, sbatch_options: config.sbatch_options };
    const id = await session.submitDriver(spec, resourceArgs(resources));
    const header = await rc.log.header();
    if (header) {
      // no pid: the CLI exits now; the driver job records itself as the runner when it starts
      await rc.log.putHeader({ ...header, run_config: { ...header.run_config, runner: { slurm_job: id }, slurm_driver_job: id } });
    }
    rc.observer.output?.(
      'slurm',
      2,
      `slurm: run ${rc.runId} handed to Slurm job ${id} (the driver); follow it with \`squeue\` and \`runnable runs show ${rc.runId}\`, stop it with \`scancel ${id}\`\n` +
        `       driver output: ${session.dir}/driver.out\n`,
    );
    return 'PROCESSING';
  } finally {
    session.close();
  }
}
