/** Runs a pipeline: creates its run log, hands it to the executor, settles the status. */
import { sectionsForRunLog } from '../config/load-config.js';
import { runContext } from './run-context.js';
import { hostname } from 'node:os';
import { dagHash, stepHashes } from '../graph/hash.js';
import type { Pipeline } from '../graph/model.js';
import type { RunObserver } from '../engine/context.js';
import type { HandOff } from '../executors/types.js';
import { cacheSettings } from '../cache/index.js';
import { bothObservers } from '../engine/context.js';
import { traceRun } from './trace.js';
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
  /** where the run log lives (a handed-over run: the file written) */
  location: string;
  /** where the run's catalog lives (its `.logs/` hold each step attempt's output) */
  catalogLocation?: string;
  /** set when the executor handed the pipeline to another engine instead of running it (argo) */
  handOff?: HandOff;
  /**
   * Why the run log could not be brought together at the end (file-system: its JSON file, on a
   * full disk): the run's records are stored (the journal beside it holds the rest, and the
   * store's readers replay it), so the run's status stands; the CLI says so in a warning.
   */
  unflushed?: unknown;
}

export async function executePipeline(opts: ExecuteOptions): Promise<RunResult> {
  return executePrepared(await prepareRun(opts), opts);
}

export async function executePrepared(run: PreparedRun, opts: DriveOptions = {}): Promise<RunResult> {
  // an executor that hands the pipeline to another engine (argo) creates no run here: its first pod does
  if (run.executor.handOff) return handedOff(run, await run.executor.handOff(run));
  const { log, lease } = await createRun(run, !!opts.noCache);
  return drive(run, run.pipeline, log, opts, false, lease);
}

/** The run log of a new run (its header, PROCESSING, and its initial parameters) and the run's lease, held. */
export async function createRun(run: PreparedRun, noCache: boolean): Promise<{ log: RunLogAccess; lease?: Lease }> {
  const { runId, store, executor } = run;
  const header: RunHeader = {
    run_id: runId,
    dag_hash: dagHash(run.pipeline.graph),
    tag: run.tag,
    status: 'PROCESSING',
    run_config: { ...runConfig(run), ...(noCache ? { no_cache: true } : {}) },
  };
  await store.create(header);
  const lease = await takeRunLease(store, runId);
  const log = new RunLogAccess(store, runId, executor.exclusive);
  await log.putHeader(header);
  await log.putRootParams(run.parameters);
  return { log, lease };
}

/** The result of a run handed to another engine: nothing ran, no run log exists yet (status CREATED). */
function handedOff(run: PreparedRun, handOff: HandOff): RunResult {
  const runLog: RunLog = { run_id: run.runId, dag_hash: dagHash(run.pipeline.graph), tag: run.tag, status: 'CREATED', steps: {}, parameters: run.parameters, run_config: { manifest: handOff.file } };
  return { runId: run.runId, status: 'CREATED', runLog, location: handOff.file, handOff };
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
  const telemetry = await traceRun(services, pipeline, log, 'driver');
  const rc = runContext(services, {
    pipeline,
    log,
    observer: bothObservers(opts.observer, telemetry?.observer),
    signal: opts.signal,
    retrying,
    cache: cacheSettings(store, services.stepCache, !!opts.noCache),
    commandEnv: telemetry?.commandEnv,
  });

  if (rc.observer.debug) for (const line of configurationLines(services, runId)) rc.observer.debug(line);
  let status: Status;
  try {
    status = await executor.execute(rc);
  } catch (err) {
    // the run stops on `err` (a full disk, say): recording FAIL may fail the same way, and must not hide it
    await settle(log, 'FAIL')
      .then(() => flushed(log))
      .catch(() => undefined);
    await telemetry?.end('FAIL');
    throw err;
  }
  await settle(log, status);
  const unflushed = await flushed(log);
  await telemetry?.end(status);
  const result: RunResult = { runId, status, runLog: await log.assemble(), location: store.location(runId), catalogLocation: services.catalog.location(runId) };
  return unflushed === undefined ? result : { ...result, unflushed };
}

/** `--log-level debug`: the configuration the run goes with, a line per plugin family. */
function configurationLines(services: Services, runId: string): string[] {
  const { config } = services;
  const type = (name: keyof typeof config.sections) => config.sections[name].type;
  return [
    `config ${config.file ?? 'none: the defaults'}`,
    `pipeline-executor ${type('pipeline-executor')}`,
    `run-log-store ${type('run-log-store')} at ${services.store.location(runId)}`,
    `catalog ${type('catalog')} at ${services.catalog.location(runId)}`,
    `secrets ${type('secrets')}, step-cache ${type('step-cache')}`,
  ];
}

/** The terminal step has set the run's status; an interrupted traversal has not. A status that cannot be stored stops the run. */
async function settle(log: RunLogAccess, status: Status): Promise<void> {
  const header = await log.header();
  if (header && header.status !== status) await log.putHeader({ ...header, status });
}

/**
 * Brings the run log together (file-system: the JSON file from its journal). Every record is
 * stored by then, so a failure here loses none: it is returned, for a warning, not thrown.
 */
async function flushed(log: RunLogAccess): Promise<unknown> {
  try {
    await log.flush();
    return undefined;
  } catch (err) {
    return err;
  }
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
