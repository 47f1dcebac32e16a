/**
 * A task step: runs its command through the task kind of its `command_type`, with catalog
 * `get` before and `put` after, up to `max_attempts` times, recording every attempt.
 */
import type { Graph, TaskNode } from '../graph/model.js';
import { iterVarsToJSON, resolveName, type IterVars } from '../graph/names.js';
import type { RunContext } from '../engine/context.js';
import { returnedValueProblem } from '../params/json-value.js';
import { secretForms } from '../secrets/scope.js';
import { saveObject, loadObject } from '../params/objects.js';
import type { DataCatalog, Parameter, Parameters, Status, StepAttempt, StepRecordData } from '../runlog/types.js';
import { taskKindFor } from '../tasks/index.js';
import { TaskFailure, type ParamView, type TaskKind, type TaskOutput } from '../tasks/types.js';
import { isRunnableError } from '../errors.js';
import { openTaskCache } from './_cache.js';
import { attemptLogPath, putBytes } from './_catalog_files.js';
import { putAdmission } from './_put_claims.js';
import { StepOutput } from './_output.js';
import { durationMs, newAttempt, newStepLog, now, parentOfStep, scopedParams, setScopeParams, visibleParams } from './_common.js';

export interface TaskOptions {
  /** mocked executor: record the step as mocked without running anything */
  mock?: boolean;
  /** run the command with this task kind instead of its `command_type`'s (a patch given as a function) */
  kind?: TaskKind;
  /**
   * attempts to make in this process (default `max_attempts`): an engine that retries the step's
   * process itself (Argo's retryStrategy) runs one here each time, numbered on from the run log
   */
  attempts?: number;
}

export async function executeTask(rc: RunContext, node: TaskNode, graph: Graph, frames: IterVars, opts: TaskOptions = {}): Promise<Status> {
  const internalName = resolveName(node.internalName, frames);
  const parent = parentOfStep(graph, frames);
  const previous = await rc.log.step(internalName);
  const step: StepRecordData = {
    ...(previous ?? newStepLog(node, internalName)),
    status: 'PROCESSING',
    mock: !!opts.mock,
    code_identities: [await rc.codeIdentity()],
  };
  await rc.log.putStep(parent, step);

  const attempts = [...step.attempts];
  const catalog = [...step.data_catalog];
  // Step caching (./_cache.ts): a hit is the step's one new attempt, its outputs restored; a mocked or patched run never caches.
  const cache = opts.mock || opts.kind ? undefined : await openTaskCache(rc, node, graph, frames, internalName, attempts.length + 1, catalog);
  let last: StepAttempt | undefined = cache?.hit;
  if (last) attempts.push(last);
  const tries = Math.max(1, Math.min(opts.attempts ?? node.maxAttempts, node.maxAttempts));
  for (let i = 0; !cache?.hit && i < tries; i++) {
    const number = attempts.length + 1;
    rc.observer.stepStarted?.({ internalName, type: 'task', attempt: number });
    last = opts.mock
      ? { ...newAttempt(number), status: 'SUCCESS', end_time: now() }
      : await runAttempt(rc, node, graph, frames, internalName, number, catalog, opts.kind);
    cache?.annotate(last);
    attempts.push(last);
    rc.observer.stepFinished?.({ internalName, type: 'task', status: last.status, durationMs: durationMs(last), message: last.message });
    if (last.status === 'SUCCESS' || rc.signal.aborted) break;
    if (i + 1 < tries) await backoff(node, i, rc.signal);
    if (rc.signal.aborted) break;
  }
  const status = last!.status;
  await rc.log.putStep(parent, { ...step, status, message: last!.message, attempts, data_catalog: catalog });
  if (status === 'SUCCESS') await cache?.save(last!, catalog.slice(step.data_catalog.length));
  // Outputs reach the scope only once the step is recorded as succeeded: a crash in between
  // leaves a succeeded step whose outputs `retry` re-applies, never a re-run that sees its own outputs.
  if (status === 'SUCCESS') await setScopeParams(rc, graph, frames, last!.output_parameters);
  return status;
}

/**
 * One attempt of a task: catalog `get`, the command, returns, catalog `put` (appended to
 * `catalog`; a name a sibling map/parallel branch put with other content fails the attempt),
 * the attempt's log file in the catalog. Never throws: a failure is the attempt's
 * status and message. Also what a job's attempts run (src/executors/jobs/).
 */
export async function runAttempt(
  rc: RunContext,
  node: TaskNode,
  graph: Graph,
  frames: IterVars,
  internalName: string,
  number: number,
  catalog: DataCatalog[],
  kind?: TaskKind,
): Promise<StepAttempt> {
  const attempt = newAttempt(number);
  const secretValues: string[] = [];
  const output = new StepOutput(internalName, rc.observer, secretValues);
  try {
    const env = await taskEnv(rc, node, frames, number, secretValues);
    const { params, own } = await scopedParams(rc, graph, frames);
    if (node.catalog?.get.length) catalog.push(...(await catalogGet(rc, node.catalog.get)));

    const result: TaskOutput = await (kind ?? taskKindFor(node.commandType)).run({
      node,
      params: paramView(rc, params, own),
      env,
      cwd: rc.cwd,
      output,
      signal: rc.signal,
      internalName,
      // recorded in the step's data_catalog with its hash, as a `put` file is; an executed
      // notebook holds what its cells printed: masked like the step's log
      saveToCatalog: async (relPath, data) => void catalog.push(...(await putBytes(rc.catalog, rc.runId, relPath, maskedFile(output, data)))),
    });
    attempt.input_parameters = pick(params, result.consumed);

    const outputs = await toParameters(rc, node, graph, frames, result.returns);
    if (node.catalog?.put.length) {
      // inside a map or parallel branch, a name a sibling branch put is refused (./_put_claims.ts)
      const admit = putAdmission(rc, graph, frames, internalName);
      catalog.push(...(await rc.catalog.put(rc.runId, node.catalog.put, rc.cwd, node.catalog.storeCopy, { admit })));
    }
    attempt.output_parameters = outputs;
    attempt.user_defined_metrics = Object.fromEntries(Object.entries(outputs).filter(([, p]) => p.kind === 'metric'));
    attempt.status = 'SUCCESS';
    if (result.warnings?.length) attempt.message = output.mask(result.warnings.map((w) => `warning: ${w}`).join('\n'));
  } catch (err) {
    attempt.status = 'FAIL';
    attempt.message = failureMessage(err, output);
    if (err instanceof TaskFailure && err.consumed && !Object.keys(attempt.input_parameters).length) {
      attempt.input_parameters = pick(await visibleParams(rc, graph, frames), err.consumed);
    }
  }
  attempt.end_time = now();
  const text = output.text();
  if (text) {
    try {
      await rc.catalog.writeFile(rc.runId, attemptLogPath(internalName, number), text);
    } catch (err) {
      // a lost log is said, never swallowed: on the terminal and in the attempt's message
      const why = `the attempt's log could not be saved in the catalog: ${isRunnableError(err) ? err.format() : (err as Error).message}`;
      rc.observer.output?.(internalName, 2, `runnable: ${why}\n`);
      attempt.message = attempt.message ? `${attempt.message}\n${why}` : why;
    }
  }
  return attempt;
}

/**
 * The step's `get`: a pattern that matches nothing in the run's catalog fails the step, as a
 * `put` pattern that matches nothing does (and as runnable's catalogs do); a catalog that keeps
 * no files (`do-nothing`) has nothing to match. A file matched by several patterns is got once.
 */
async function catalogGet(rc: RunContext, patterns: readonly string[]): Promise<DataCatalog[]> {
  if (rc.catalog.keepsNoFiles) return rc.catalog.get(rc.runId, [...patterns], rc.cwd);
  const got = new Map<string, DataCatalog>();
  for (const pattern of patterns) {
    const entries = await rc.catalog.get(rc.runId, [pattern], rc.cwd);
    if (!entries.length) {
      throw new TaskFailure(
        `catalog get: no file matches '${pattern}' in the catalog of run '${rc.runId}' (${rc.catalog.location(rc.runId)}): ` +
          'an earlier step must put it (a file put with store_copy: false is recorded, not kept)',
      );
    }
    for (const e of entries) if (!got.has(e.name)) got.set(e.name, e);
  }
  return [...got.values()];
}

/** Wait `retry_delay_seconds × retry_backoff_factor^n` before attempt n+2; Ctrl-C cuts it short. */
export async function backoff(node: TaskNode, failedSoFar: number, signal: AbortSignal): Promise<void> {
  const seconds = (node.retryDelaySeconds ?? 0) * (node.retryBackoffFactor ?? 1) ** failedSoFar;
  if (seconds <= 0) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, seconds * 1000);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

async function taskEnv(rc: RunContext, node: TaskNode, frames: IterVars, attempt: number, secretValues: string[]): Promise<Record<string, string>> {
  const env: Record<string, string> = { RUNNABLE_RUN_ID: rc.runId, RUNNABLE_STEP_ATTEMPT: String(attempt) };
  // as runnable sets them: the run's tag, and under `retry` the run being retried
  const tag = (await rc.log.header())?.tag;
  if (tag) env.RUNNABLE_RUN_TAG = tag;
  if (rc.retrying) env.RUNNABLE_RETRY_RUN_ID = rc.runId;
  if (frames.length) env.RUNNABLE_MAP_VARIABLE = iterVarsToJSON(frames);
  for (const f of frames) if (f.kind === 'loop') env[f.name] = String(f.value);
  for (const name of node.secrets) {
    const value = await rc.secrets.get(name);
    env[name] = value;
    secretValues.push(...secretForms(value));
  }
  return env;
}

function paramView(rc: RunContext, params: Parameters, own: string[]): ParamView {
  return {
    names: () => Object.keys(params),
    ownNames: () => own,
    get: (name) => params[name],
    load: async (name) => {
      const p = params[name];
      if (!p) return undefined;
      return p.kind === 'object' ? loadObject(rc, String(p.value)) : p.value;
    },
  };
}

async function toParameters(rc: RunContext, node: TaskNode, graph: Graph, frames: IterVars, values: Record<string, unknown>): Promise<Parameters> {
  const out: Parameters = {};
  for (const r of node.returns) {
    const value = values[r.name];
    let param: Parameter;
    if (r.kind === 'object') {
      param = { kind: 'object', value: await saveObject(rc, r.name, parentOfStep(graph, frames), value) };
    } else {
      const problem = returnedValueProblem(r.name, value);
      if (problem) throw new TaskFailure(problem);
      param = { kind: r.kind, value };
    }
    out[r.name] = param;
  }
  return out;
}

/** `data` with every secret form masked when it is text (a file that is not UTF-8 is written as it is). */
function maskedFile(output: StepOutput, data: Uint8Array | string): Uint8Array | string {
  if (typeof data === 'string') return output.mask(data);
  try {
    return output.mask(new TextDecoder('utf-8', { fatal: true }).decode(data));
  } catch {
    return data;
  }
}

function pick(params: Parameters, names: string[]): Parameters {
  const out: Parameters = {};
  for (const n of names) if (params[n]) out[n] = params[n]!;
  return out;
}

function failureMessage(err: unknown, output: StepOutput): string {
  const message =
    err instanceof TaskFailure ? err.message : isRunnableError(err) ? err.format() : err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const tail = output.tail();
  return output.mask(tail ? `${message}\n--- stderr (last lines) ---\n${tail}` : message);
}
