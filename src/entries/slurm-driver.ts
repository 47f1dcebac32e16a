/**
 * The driver job of a detached `slurm` run (`detach: true`, see executors/_slurm_detach.ts): runs
 * the traversal inside the cluster exactly as the attached CLI would (submitting each step as a
 * job, following them, settling the run's status). Started by entries/slurm-job.ts.
 */
import { batchReporter } from '../cli/execute-single-node.js';
import { RunnableError } from '../errors.js';
import { SlurmExecutor, slurmConfig, type DriveSpec } from '../executors/slurm.js';
import { RunLogAccess } from '../runlog/access.js';
import { drive, runnerIdentity } from '../runner/execute.js';
import { loadPipelineSource } from '../runner/load.js';
import { loadServices } from '../runner/prepare.js';

/** In the driver job: drives the run to its end, as `runnable execute` would have. */
export async function driveDetached(spec: DriveSpec, signal: AbortSignal): Promise<number> {
  const services = await loadServices({ configFile: spec.configFile, cwd: spec.cwd });
  const section = services.config.sections['pipeline-executor'];
  if (section.type !== 'slurm') throw new RunnableError('E_CONFIG', `the driver job needs the slurm pipeline executor; the config now says '${section.type}'`);
  const executor = new SlurmExecutor(slurmConfig.parse({ ...(section.config as object | undefined), detach: false }));
  const log = new RunLogAccess(services.store, spec.runId, false);
  const header = await log.header();
  if (!header) throw new RunnableError('E_RUN_ID', `run '${spec.runId}' has no run header in ${services.store.location(spec.runId)}`);
  const pipeline = await loadPipelineSource(String(header.run_config.pipeline), services.cwd);
  await log.putHeader({ ...header, run_config: { ...header.run_config, runner: runnerIdentity() } });
  const reporter = await batchReporter();
  reporter.started(spec.runId);
  const result = await drive({ ...services, executor }, pipeline, log, { observer: reporter, signal, noCache: header.run_config.no_cache === true }, spec.retrying);
  reporter.summary(result);
  return result.status === 'SUCCESS' ? 0 : 1;
}
