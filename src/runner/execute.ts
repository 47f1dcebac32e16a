/** Runs a prepared pipeline: creates its run log, hands it to the executor, settles the status. */
import { dagHash } from '../graph/hash.js';
import type { RunContext, RunObserver } from '../executors/context.js';
import { RunLogAccess } from '../runlog/access.js';
import type { RunHeader, RunLog, Status } from '../runlog/types.js';
import { codeIdentity } from '../util/git.js';
import { prepareRun, type PreparedRun, type RunInputs } from './prepare.js';

export interface ExecuteOptions extends RunInputs {
  observer?: RunObserver;
  signal?: AbortSignal;
  /** called once the run log exists, before any step runs */
  onStart?: (run: { runId: string; location: string }) => void;
}

export interface RunResult {
  runId: string;
  status: Status;
  runLog: RunLog;
  /** where the run log lives */
  location: string;
}

export async function executePipeline(opts: ExecuteOptions): Promise<RunResult> {
  return executePrepared(await prepareRun(opts), opts);
}

export async function executePrepared(run: PreparedRun, opts: Pick<ExecuteOptions, 'observer' | 'signal' | 'onStart'> = {}): Promise<RunResult> {
  const { runId, store, executor, cwd } = run;
  const header: RunHeader = {
    run_id: runId,
    dag_hash: dagHash(run.pipeline.graph),
    tag: run.tag,
    status: 'PROCESSING',
    run_config: runConfig(run),
  };
  await store.create(header);
  const log = new RunLogAccess(store, runId, executor.exclusive);
  await log.putHeader(header);
  await log.putRootParams(run.parameters);
  opts.onStart?.({ runId, location: store.location(runId) });

  const rc: RunContext = {
    runId,
    pipeline: run.pipeline,
    cwd,
    log,
    catalog: run.catalog,
    secrets: run.secrets,
    observer: opts.observer ?? {},
    signal: opts.signal ?? new AbortController().signal,
    codeIdentity: () => codeIdentity(cwd),
  };

  let status: Status;
  try {
    status = await executor.execute(rc);
  } catch (err) {
    await log.putHeader({ ...((await log.header()) ?? header), status: 'FAIL' });
    await log.flush();
    throw err;
  }
  const final = (await log.header()) ?? header;
  // The terminal step has set the status; an interrupted traversal has not.
  if (final.status !== status) await log.putHeader({ ...final, status });
  await log.flush();
  return { runId, status, runLog: await log.assemble(), location: store.location(runId) };
}

function runConfig(run: PreparedRun): Record<string, unknown> {
  return {
    pipeline: run.pipeline.source.path,
    configuration_file: run.config.file ?? null,
    ...Object.fromEntries(Object.entries(run.config.sections).map(([k, v]) => [k, { type: v.type, config: v.config }])),
  };
}
