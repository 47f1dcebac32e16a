/**
 * Jobs in code: one task, run on its own (SPEC §1 `execute-job`), as runnable's `PythonJob` /
 * `ShellJob`. `job(task(fn, ...))` or `job(fn, ...)` for a function, `job(shell(...))` for a
 * shell command. A job's catalog takes `put` only. The run log of a job has no steps: its `job`
 * section holds the task's attempts, and its `parameters` what the task returned.
 */
import path from 'node:path';
import { stringify } from 'yaml';
import { RunnableError } from '../errors.js';
import type { Job as JobModel, TaskNode } from '../graph/model.js';
import type { RunLog } from '../runlog/types.js';
import { commandProblem } from '../graph/command.js';
import { JOB_BRAND, describeValue, isJob, isStep } from './_brand.js';
import { schemaError } from './_checks.js';
import { checkKeys } from './_options.js';
import { driveReported, runInputsOf, sourceOf } from './_execute.js';
import { JobFailedError } from './errors.js';
import { callerFile } from './_origin.js';
import { commandFor, locateFunction, type AnyFunction } from './locate.js';
import type { PipelineExecuteOptions } from './pipeline.js';
import { task } from './steps.js';
import type { TaskOptions, TaskStep } from './types.js';


export interface JobOptions {
  /**
   * the directory a function's module path is written relative to in `task` and `toYAML()`
   * (default: `process.cwd()`); `execute({cwd})` and `taskFor(cwd)` re-root it
   */
  cwd?: string;
}

/** Options of `job(fn, ...)`: those of `task(fn, ...)` plus the job's. */
export type FunctionJobOptions = Omit<TaskOptions, 'onFailure' | 'terminateWithSuccess' | 'terminateWithFailure'> & JobOptions;

export type JobExecuteOptions = PipelineExecuteOptions;

const EXECUTE_KEYS = ['config', 'parametersFile', 'runId', 'tag', 'cwd', 'env', 'quiet', 'logLevel', 'observer', 'signal'];
/** The internal name of a job's task, as the YAML loader names it. */
const JOB = 'job';

/** A job built with `job(...)`. It is also a core model job: pass it wherever one is taken. */
export class Job implements JobModel {
  declare readonly [JOB_BRAND]: true;
  /** the task step as given */
  readonly step: TaskStep;
  /** the directory `task`'s function path is relative to */
  readonly cwd: string;
  /** the core model of the job's task */
  readonly task: TaskNode;
  readonly #origin: string | undefined;

  /** @internal use `job(...)` */
  constructor(step: TaskStep, opts: JobOptions, origin: string | undefined) {
    Object.defineProperty(this, JOB_BRAND, { value: true });
    this.step = step;
    this.cwd = path.resolve(opts.cwd ?? process.cwd());
    this.#origin = origin;
    this.task = toTaskNode(step, this.cwd);
  }

  /** Where the job was defined: the module that called `job(...)`. */
  get source(): JobModel['source'] {
    return sourceOf(this.#origin, this.cwd, 'job');
  }

  /**
   * The task with its function path relative to `cwd` (the run's working directory).
   * @example const node = j.taskFor('/srv/project');
   */
  taskFor(cwd: string): TaskNode {
    const dir = path.resolve(cwd);
    return dir === this.cwd ? this.task : toTaskNode(this.step, dir);
  }

  /**
   * The equivalent job YAML (`runnable execute-job job.yaml`); it runs the same task.
   * @example writeFileSync('job.yaml', j.toYAML());
   */
  toYAML(): string {
    const t = this.task;
    const out: Record<string, unknown> = { type: 'task', command_type: t.commandType, command: t.command };
    if (t.returns.length) out.returns = t.returns.map((r) => (r.kind === 'json' ? r.name : { name: r.name, kind: r.kind }));
    if (t.catalog) out.catalog = { put: t.catalog.put, store_copy: t.catalog.storeCopy };
    if (t.maxAttempts !== 1) out.max_attempts = t.maxAttempts;
    if (t.retryDelaySeconds !== undefined) out.retry_delay_seconds = t.retryDelaySeconds;
    if (t.retryBackoffFactor !== undefined) out.retry_backoff_factor = t.retryBackoffFactor;
    if (t.secrets.length) out.secrets = t.secrets;
    Object.assign(out, t.options);
    if (Object.keys(t.overrides).length) out.overrides = t.overrides;
    return stringify({ job: out }, { lineWidth: 0 });
  }

  /**
   * Runs the job in this process with the configured job executor, reporting it on stderr as
   * `runnable execute-job` does (`quiet: true` for nothing; `observer` to follow it). Resolves
   * to the run log (its `run_id` the run's id) when the task succeeds; rejects with
   * `JobFailedError` when it fails, a RunnableError (code `E_RUN_FAILED`) holding the run id and
   * the run log, and with a `RunnableError` of another code for bad input (config, parameters, run id).
   * @example const log = await job(train, { returns: ['accuracy'] }).execute({ quiet: true }); log.parameters.accuracy
   */
  async execute(opts: JobExecuteOptions = {}): Promise<RunLog> {
    const inputs = runInputsOf(opts, EXECUTE_KEYS);
    const model: JobModel = { task: this.taskFor(inputs.cwd), source: sourceOf(this.#origin, inputs.cwd, 'job') };
    const { executeJob } = await import('../runner/job.js');
    const result = await driveReported(opts, undefined, (drive) => executeJob({ ...inputs, job: model, ...drive }));
    if (result.status !== 'SUCCESS') throw new JobFailedError(result.runLog, result.location);
    return result.runLog;
  }
}

/**
 * A job: one task run on its own. Give a task step (`task`, `shell`, `notebook`, `python`), or a
 * function and the options of `task(fn, ...)`. Throws a RunnableError here, not when run, for
 * anything wrong with it (a catalog `get`, `onFailure`, a function that cannot be located).
 * @example
 * export default job(write_files, { catalog: { put: ['df.csv'] } });
 * export const hello = job(shell('echo hello', { name: 'hello' }));
 */
export function job(step: TaskStep, opts?: JobOptions): Job;
export function job(fn: AnyFunction, opts?: FunctionJobOptions): Job;
export function job(stepOrFn: TaskStep | AnyFunction, opts: FunctionJobOptions = {}): Job {
  let step: TaskStep;
  let jobOpts: JobOptions;
  if (typeof stepOrFn === 'function') {
    const { cwd, ...taskOpts } = opts;
    checkKeys(taskOpts, ['name', 'returns', 'catalog', 'maxAttempts', 'retryDelaySeconds', 'retryBackoffFactor', 'secrets', 'overrides'], undefined);
    step = task(stepOrFn, taskOpts);
    jobOpts = cwd === undefined ? {} : { cwd };
  } else {
    if (!isStep(stepOrFn) || stepOrFn.type !== 'task') {
      throw schemaError(`job() takes a task step (task, shell, notebook, python) or a function, got ${describeValue(stepOrFn)}`, JOB);
    }
    step = stepOrFn;
    jobOpts = checkKeys(opts, ['cwd'], JOB) as JobOptions;
  }
  if (jobOpts.cwd !== undefined && typeof jobOpts.cwd !== 'string') throw schemaError('cwd must be a directory path', JOB, 'cwd');
  if (step.traversal.onFailure || step.traversal.terminate) {
    throw schemaError(`a job is a single task: onFailure, terminateWithSuccess and terminateWithFailure do not apply`, JOB, step.traversal.onFailure ? 'onFailure' : 'terminate');
  }
  if (step.catalog?.get.length) {
    throw schemaError(`a job's catalog takes 'put' only: a job starts its own run, so there is nothing to get`, JOB, 'catalog.get');
  }
  return new Job(step, jobOpts, callerFile(job));
}

export { isJob };

export { JobFailedError };

export { loadJobModule } from '../runner/load-module.js';

function toTaskNode(step: TaskStep, cwd: string): TaskNode {
  const node: TaskNode = {
    type: 'task',
    name: JOB,
    internalName: JOB,
    overrides: { ...step.traversal.overrides },
    commandType: step.commandType,
    command: typeof step.command === 'string' ? step.command : located(step.command, cwd),
    returns: step.returns.map((r) => ({ ...r })),
    maxAttempts: step.maxAttempts,
    ...(step.retryDelaySeconds !== undefined ? { retryDelaySeconds: step.retryDelaySeconds } : {}),
    ...(step.retryBackoffFactor !== undefined ? { retryBackoffFactor: step.retryBackoffFactor } : {}),
    secrets: [...step.secrets],
    options: { ...step.options },
  };
  if (step.catalog) node.catalog = { get: [], put: [...step.catalog.put], storeCopy: step.catalog.storeCopy };
  return node;
}

function located(fn: AnyFunction, cwd: string): string {
  try {
    const command = commandFor(locateFunction(fn), cwd);
    const problem = commandProblem('typescript', command);
    if (problem) throw new RunnableError('E_COMMAND', `the function's module cannot be named from ${cwd}: ${problem}`);
    return command;
  } catch (e) {
    if (e instanceof RunnableError && !e.where.step) throw new RunnableError(e.code, e.message, { ...e.where, step: JOB, field: 'command' });
    throw e;
  }
}
