/** Runs a pipeline: creates its run log, hands it to the executor, settles the status. */
import { sectionsForRunLog } from '../config/load-config.js';
import { runContext } from './run-context.js';
import { hostname } from 'node:os';
import { dagHash, stepHashes } from '../graph/hash.js';
import type { Pipeline } from '../graph/model.js';
import type { RunObserver } from '../engine/context.js';
import { cacheSettings } from '../cache/index.js';
import { RunLogAccess } from '../runlog/access.js';
import type { Lease, RunHeader, RunLog, Status } from '../runlog/types.js';
import { takeRunLease } from './lease.js';
import { prepareRun, type PreparedRun, type RunInputs, type Services } from './prepare.js';

export interface ExecuteOptions extends RunInputs {
  observer?: RunObserver;
  signal?: AbortSignal;
  /** called once the run log exists, before any step runs */
  onStart?: (run: { runId: string; location: string }) => void;
  /** `--no-cache`: cached steps run anyway (recorded as misses) and refresh the step cache */
  noCache?: boolean;
}

export type DriveOptions = Pick<ExecuteOptions, 'observer' | 'signal' | 'onStart' | 'noCache'>;

export interface RunResult {
  runId: string;
  status: Status;
  runLog: RunLog;
  /** where the run log lives */
  location: string;
  /** where the run's catalog lives (its `.logs/` hold each step attempt's output) */
  catalogLocation: string;
}

export async function executePipeline(opts: ExecuteOptions): Promise<RunResult> {
  return executePrepared(await prepareRun(opts), opts);
}

export async function executePrepared(run: PreparedRun, opts: DriveOptions = {}): Promise<RunResult> {
  const { runId, store, executor } = run;
  const header: RunHeader = {
    run_id: runId,
    dag_hash: dagHash(run.pipeline.graph),
    tag: run.tag,
    status: 'PROCESSING',
    run_config: { ...runConfig(run), ...(opts.noCache ? { no_cache: true } : {}) },
  };
  await store.create(header);
  const lease = await takeRunLease(store, runId);
  const log = new RunLogAccess(store, runId, executor.exclusive);
  await log.putHeader(header);
  await log.putRootParams(run.parameters);
  return drive(run, run.pipeline, log, opts, false, lease);
}

/**
 * Hands a run whose log exists to the executor and settles the run's status. Used by a fresh
 * run and by `retry`, which continues a run with `retrying` set. The run's lease (./lease.ts) is
 * held throughout: `held` if the caller took it, else taken here; released at the end.
 */
export async function drive(services: Services, pipeline: Pipeline, log: RunLogAccess, opts: DriveOptions, retrying: boolean, held?: Lease): Promise<RunResult> {
  const lease = held ?? (await takeRunLease(services.store, log.runId));
  try {
    return await driveHeld(services, pipeline, log, opts, retrying);
  } finally {
    await lease?.release();
  }
}

async function driveHeld(services: Services, pipeline: Pipeline, log: RunLogAccess, opts: DriveOptions, retrying: boolean): Promise<RunResult> {
  const { store, executor } = services;
  const runId = log.runId;
  opts.onStart?.({ runId, location: store.location(runId) });
  const rc = runContext(services, {
    pipeline,
    log,
    observer: opts.observer,
    signal: opts.signal,
    retrying,
    cache: cacheSettings(store, services.stepCache, !!opts.noCache),
  });

  let status: Status;
  try {
    status = await executor.execute(rc);
  } catch (err) {
    await settle(log, 'FAIL');
    throw err;
  }
  await settle(log, status);
  return { runId, status, runLog: await log.assemble(), location: store.location(runId), catalogLocation: services.catalog.location(runId) };
}

/** The terminal step has set the run's status; an interrupted traversal has not. */
async function settle(log: RunLogAccess, status: Status): Promise<void> {
  const header = await log.header();
  if (header && header.status !== status) await log.putHeader({ ...header, status });
  await log.flush();
}

/** Who is running a run: `retry` refuses a run whose runner is still alive. */
export function runnerIdentity(): { pid: number; host: string; started_at: string } {
  return { pid: process.pid, host: hostname(), started_at: new Date().toISOString() };
}

function runConfig(run: PreparedRun): Record<string, unknown> {
  return {
    pipeline: run.pipeline.source.path,
    configuration_file: run.config.file ?? null,
    ...sectionsForRunLog(run.config),
    runner: runnerIdentity(),
    dag_steps: stepHashes(run.pipeline.graph),
  };
}
