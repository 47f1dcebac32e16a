/**
 * `retry`: continue a failed or interrupted run under the same run id, with the parameters it
 * has (its original ones and what its finished steps returned). Steps and branches that
 * succeeded are skipped; the others get a new attempt; the catalog is reused.
 */
import { RunnableError } from '../errors.js';
import { dagHash, describeChanges, stepHashes } from '../graph/hash.js';
import { RunLogAccess } from '../runlog/access.js';
import type { Lease, RunHeader } from '../runlog/types.js';
import { takeRunLease } from './lease.js';
import { stopStepProcesses } from './orphans.js';
import { drive, runnerIdentity, type DriveOptions, type RunResult } from './execute.js';
import { checkPipeline, loadServices, type Services } from './prepare.js';
import type { Pipeline } from '../graph/model.js';
import { loadPipelineSource } from './load.js';

export interface RetryOptions extends DriveOptions {
  runId: string;
  configFile?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** `--detach`: the executor hands the run over and returns (slurm) */
  detach?: boolean;
}

export interface PreparedRetry {
  services: Services;
  pipeline: Pipeline;
  log: RunLogAccess;
  /** the run's lease, held from here to the end of the drive (undefined: the store has none) */
  lease?: Lease;
}

export async function retryRun(opts: RetryOptions): Promise<RunResult> {
  return resumeRun(await prepareRetry(opts), opts);
}

/** Everything that makes a retry impossible is found here, before anything is written. */
export async function prepareRetry(opts: Omit<RetryOptions, keyof DriveOptions>): Promise<PreparedRetry> {
  const env = opts.env ?? process.env;
  const services = await loadServices({ configFile: opts.configFile ?? env.RUNNABLE_CONFIGURATION_FILE, cwd: opts.cwd, env, detach: opts.detach });
  const { store, executor } = services;
  const { runId } = opts;
  if (!(await store.exists(runId))) throw new RunnableError('E_RUN_ID', `unknown run id '${runId}' in ${store.location(runId)}`);
  const before = await store.get(runId, 'run', '');
  if (!before) throw new RunnableError('E_RUN_ID', `run '${runId}' has no run header in ${store.location(runId)}`);
  if (before.data.status === 'SUCCESS') throw succeeded(runId);
  // a changed or unloadable pipeline (or job) is refused before the lease is taken: bad input
  // writes nothing, a lease file included. The dag_hash cannot change under another driver.
  const jobFile = before.data.run_config.job;
  // a job run: its job executor runs the task again (runner/job.ts)
  const job = typeof jobFile === 'string' ? await (await import('./job.js')).prepareJobRetry(services, runId, jobFile, before.data.dag_hash) : undefined;
  const pipeline = job ? undefined : await checkRetryable(services, before.data);
  // one live driver: of two retries at once, one gets the lease and the other exits 2 here
  const lease = await takeRunLease(store, runId);
  if (!lease) refuseIfAlive(before.data);
  try {
    // read again under the lease: the driver that had it may have finished the run meanwhile
    const log = new RunLogAccess(store, runId, executor.exclusive);
    const header = (await log.header())!;
    if (header.status === 'SUCCESS') throw succeeded(runId);
    if (job) return { ...job, log: new RunLogAccess(store, runId, job.services.executor.exclusive), lease };
    // the interrupted driver's step processes are stopping (they are tied to it): none may run beside a new copy
    await stopStepProcesses(runId);
    return { services, pipeline: pipeline!, log, lease };
  } catch (err) {
    await lease?.release();
    throw err;
  }
}

const succeeded = (runId: string) => new RunnableError('E_RUN_ID', `run '${runId}' succeeded; there is nothing to retry`);

/** The pipeline of the run, if it is the one the run was started with and still valid. */
async function checkRetryable(services: Services, header: RunHeader): Promise<Pipeline> {
  const { cwd } = services;
  const runId = header.run_id;
  const file = header.run_config.pipeline;
  if (typeof file !== 'string') throw new RunnableError('E_RUN_ID', `run '${runId}' does not record its pipeline file`);
  const pipeline = await loadPipelineSource(file, cwd);
  const hash = dagHash(pipeline.graph);
  if (hash !== header.dag_hash) {
    const before = header.run_config.dag_steps as Record<string, string> | undefined;
    const what = before ? describeChanges(before, stepHashes(pipeline.graph)) : 'its dag_hash differs';
    throw new RunnableError('E_GRAPH', `the pipeline changed since run '${runId}' (${what}); retry needs the same pipeline`, { file });
  }
  await checkPipeline(services.executor.pipelineToCheck?.(pipeline, services.store) ?? pipeline, cwd, services.secrets);
  return pipeline;
}

export async function resumeRun({ services, pipeline, log, lease }: PreparedRetry, opts: DriveOptions = {}): Promise<RunResult> {
  await reopenRun(log, !!opts.noCache);
  return drive(services, pipeline, log, opts, true, lease);
}

/** Marks a run PROCESSING again, one more retry in its header: its steps then skip what succeeded. */
export async function reopenRun(log: RunLogAccess, noCache: boolean): Promise<void> {
  const header = (await log.header())!;
  const retries = Number(header.run_config.retries ?? 0) + 1;
  const { no_cache: _, ...runConfig } = header.run_config;
  await log.putHeader({
    ...header,
    status: 'PROCESSING',
    run_config: { ...runConfig, runner: runnerIdentity(), retries, ...(noCache ? { no_cache: true } : {}) },
  });
}

/** A PROCESSING run whose runner is alive on this host is running, not interrupted. */
function refuseIfAlive(header: RunHeader): void {
  if (header.status !== 'PROCESSING') return;
  const runner = header.run_config.runner as { pid?: number; host?: string } | undefined;
  if (!runner?.pid || runner.host !== runnerIdentity().host || runner.pid === process.pid) return;
  try {
    process.kill(runner.pid, 0);
  } catch {
    return; // no such process: the run was interrupted
  }
  throw new RunnableError('E_RUN_ID', `run '${header.run_id}' is still running (pid ${runner.pid} on ${runner.host})`);
}

/** PROCESSING with a dead runner on this host: shown as INTERRUPTED by `runs show`/`runs list`. */
export function isInterrupted(header: RunHeader): boolean {
  if (header.status !== 'PROCESSING') return false;
  const runner = header.run_config.runner as { pid?: number; host?: string } | undefined;
  if (!runner?.pid || runner.host !== runnerIdentity().host) return false;
  try {
    process.kill(runner.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
