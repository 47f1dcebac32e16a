/**
 * The task of an existing job run (`runnable execute-job` created its log), executed in this
 * process: what a job executor that runs the task elsewhere (a child process, a container, a
 * Slurm job) calls on the other side, as `execute-single-node` is for a pipeline's steps. The
 * outcome is in the run log's `job` section; the caller settles the run.
 */
import { runContext } from './run-context.js';
import { RunnableError } from '../errors.js';
import type { RunObserver } from '../engine/context.js';
import { runJobTask } from '../executors/jobs/run-task.js';
import { dagHash } from '../graph/hash.js';
import { RunLogAccess } from '../runlog/access.js';
import type { Status } from '../runlog/types.js';
import { validateRunId } from '../util/run-id.js';
import { jobPipeline, loadJobSource } from './job.js';
import { loadServices } from './prepare.js';
import { traceRun } from './trace.js';
import { adoptHandedCodeIdentity } from '../util/git.js';
import { bothObservers } from '../engine/context.js';

export interface JobTaskInputs {
  runId: string;
  /** the job file, when the caller names it (it must be the run's: same dag_hash); else the run's `run_config.job` */
  job?: string;
  configFile?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  observer?: RunObserver;
  signal?: AbortSignal;
}

export async function executeJobTask(inputs: JobTaskInputs): Promise<Status> {
  const env = inputs.env ?? process.env;
  const services = await loadServices({ configFile: inputs.configFile ?? env.RUNNABLE_CONFIGURATION_FILE, cwd: inputs.cwd, env });
  const { store, cwd } = services;
  const { runId } = inputs;
  validateRunId(runId);
  if (!(await store.exists(runId))) throw new RunnableError('E_RUN_ID', `unknown run id '${runId}' in ${store.location(runId)}`);
  const log = new RunLogAccess(store, runId, false);
  const header = await log.header();
  if (!header || typeof header.run_config.job !== 'string') throw new RunnableError('E_RUN_ID', `run '${runId}' is not a job run`);
  if (header.status !== 'PROCESSING') throw new RunnableError('E_RUN_ID', `run '${runId}' has finished (${header.status})`);
  const job = await loadJobSource(inputs.job ?? header.run_config.job, cwd);
  const pipeline = jobPipeline(job);
  if (dagHash(pipeline.graph) !== header.dag_hash) {
    throw new RunnableError('E_GRAPH', `the job is not the one run '${runId}' was started with (its dag_hash differs)`, { file: job.source.path });
  }
  // started by a traced driver (TRACEPARENT): the task's attempts join the run's trace, as a step's do
  const telemetry = await traceRun(services, pipeline, log, 'step', env);
  const observer = bothObservers(inputs.observer, telemetry?.observer);
  adoptHandedCodeIdentity(); // started by emulate's job executor: the run's code identity comes from there
  const rc = runContext(services, { pipeline, log, observer, signal: inputs.signal, retrying: false });
  let status: Status = 'FAIL';
  try {
    status = await runJobTask(rc, job.task);
    await log.flush();
  } finally {
    await telemetry?.end(status);
  }
  return status;
}
