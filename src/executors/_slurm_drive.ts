/**
 * `slurm` with `detach: true`: `runnable execute` creates the run, submits one more job — the
 * driver — and returns; the driver job runs the traversal inside the cluster exactly as the
 * attached CLI would (submitting each step as a job, following them, settling the run's
 * status). `scancel` of the driver job cancels the run's jobs and leaves the run FAIL, ready
 * for `runnable retry`.
 */
import { TerminalReporter } from '../cli/_reporter.js';
import { RunnableError } from '../errors.js';
import { RunLogAccess } from '../runlog/access.js';
import { drive, runnerIdentity } from '../runner/execute.js';
import { loadPipelineSource } from '../runner/load.js';
import { loadServices } from '../runner/prepare.js';
import type { Status } from '../runlog/types.js';
import type { RunContext } from './context.js';
import { pipelineFile } from './_protocol.js';
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

/** In the driver job: drives the run to its end, as `runnable execute` would have. */
export async function driveDetached(spec: DriveSpec, signal: AbortSignal): Promise<number> {
  const services = await loadServices({ configFile: spec.configFile, cwd: spec.cwd });
  const section = services.config.sections['pipeline-executor'];
  if (section.type !== 'slurm') throw new RunnableError('E_CONFIG', `the driver job needs the slurm pipeline executor; the config now says '${section.type}'`);
  const { SlurmExecutor, slurmConfig } = await import('./slurm.js');
  const executor = new SlurmExecutor(slurmConfig.parse({ ...(section.config as object | undefined), detach: false }));
  const log = new RunLogAccess(services.store, spec.runId, false);
  const header = await log.header();
  if (!header) throw new RunnableError('E_RUN_ID', `run '${spec.runId}' has no run header in ${services.store.location(spec.runId)}`);
  const pipeline = await loadPipelineSource(String(header.run_config.pipeline), services.cwd);
  await log.putHeader({ ...header, run_config: { ...header.run_config, runner: runnerIdentity() } });
  const reporter = new TerminalReporter({ json: false, colour: false });
  reporter.started(spec.runId);
  const result = await drive({ ...services, executor }, pipeline, log, { observer: reporter, signal, noCache: header.run_config.no_cache === true }, spec.retrying);
  reporter.summary(result);
  return result.status === 'SUCCESS' ? 0 : 1;
}
