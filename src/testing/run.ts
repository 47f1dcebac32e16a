/**
 * Running a pipeline or a job inside a test: in this process, with an in-memory (buffered) run
 * log and a temporary catalog removed afterwards, patched steps, and the run log returned
 * whatever the outcome (assert on it with ./assert.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileSystemCatalog } from '../catalog/file-system.js';
import { RunnableError } from '../errors.js';
import type { RunObserver } from '../engine/context.js';
import { MockedExecutor, type Patch } from '../executors/mocked.js';
import type { Graph, Job, Pipeline, TaskNode } from '../graph/model.js';
import { checkName, loadInitialParameters } from '../params/load.js';
import { executePrepared } from '../runner/execute.js';
import { executePreparedJob, prepareJob } from '../runner/job.js';
import { loadPipelineSource } from '../runner/load.js';
import { checkPipeline, loadServices } from '../runner/prepare.js';
import { BufferedRunLogStore } from '../runlog/buffered.js';
import type { Parameters, RunLog } from '../runlog/types.js';
import { generateRunId, validateRunId } from '../util/run-id.js';

export type { Patch } from '../executors/mocked.js';

export interface TestRunOptions {
  /** initial parameters by name (json values), over those of `parametersFile` */
  parameters?: Record<string, unknown>;
  /** a parameters YAML file, as `-p` (relative to `cwd`) */
  parametersFile?: string;
  /**
   * a config file, for its secrets section (default: found as the CLI finds one); the executor,
   * run-log store and catalog are always the test's: mocked, buffered, a temporary directory
   */
  config?: string;
  /** the run's working directory (default `process.cwd()`) */
  cwd?: string;
  /** the environment the run reads RUNNABLE_PRM_* and secrets from (default `process.env`) */
  env?: NodeJS.ProcessEnv;
  runId?: string;
  tag?: string;
  /** keep the catalog in this directory (relative to `cwd`); default: a temporary one, removed after the run */
  catalogDir?: string;
  /** progress of the run (e.g. to print task output); default: silent */
  observer?: RunObserver;
}

export interface TestPipelineOptions extends TestRunOptions {
  /**
   * steps replaced for this run, by step name (every task of that name), template internal name
   * (`fan.map_variable_placeholder.work`) or resolved internal name (`fan.2.work`): a function,
   * called in this process with its parameters bound by name and its return value mapped onto
   * the step's `returns`, or `{command, command_type?}` run instead of the step's command
   */
  patches?: Record<string, Patch>;
  /** tasks without a patch: `run` them (default), or `mock` them (recorded with `mock: true`, not run) */
  unpatched?: 'run' | 'mock';
  /** branches of one composite that run at once (default 1) */
  maxParallel?: number;
}

const PIPELINE_KEYS = ['parameters', 'parametersFile', 'config', 'cwd', 'env', 'runId', 'tag', 'catalogDir', 'observer', 'patches', 'unpatched', 'maxParallel'];

/**
 * Runs a pipeline (an SDK pipeline, a core model, or a YAML/module file relative to `cwd`) in
 * memory and resolves to its run log, succeeded or not. Rejects with a RunnableError for bad
 * input: an invalid pipeline, a patch that names no task, a missing module.
 * @example
 * const log = await runPipeline(pipeline, { patches: { train: () => 0.9 }, parameters: { rows: 10 } });
 * assertSucceeded(log);
 */
export async function runPipeline(pipeline: Pipeline | string, opts: TestPipelineOptions = {}): Promise<RunLog> {
  checkOptions(opts, PIPELINE_KEYS);
  const env = opts.env ?? process.env;
  const cwd = path.resolve(opts.cwd ?? process.cwd());
  const services = await loadServices({ configFile: opts.config, cwd, env });
  const model = typeof pipeline === 'string' ? await loadPipelineSource(pipeline, cwd) : modelFor(pipeline, cwd);
  const executor = new MockedExecutor({
    patches: opts.patches ?? {},
    unpatched: opts.unpatched ?? 'run',
    maxParallel: opts.maxParallel ?? 1,
    patchesField: 'patches',
  });
  await checkPipeline(executor.pipelineToCheck(model), cwd, services.secrets);
  const parameters = await initialParameters(opts, cwd, env);
  const runId = opts.runId ?? generateRunId();
  validateRunId(runId);
  return withCatalog(opts.catalogDir, cwd, async (catalog) => {
    const store = new BufferedRunLogStore();
    const run = { ...services, executor, store, catalog, pipeline: model, parameters, runId, tag: opts.tag ?? '' };
    return (await executePrepared(run, { observer: opts.observer ?? {} })).runLog;
  });
}

/**
 * Runs a job (an SDK job, a core model, or a job file) in memory and resolves to its run log,
 * succeeded or not; the run log's `job` section holds the task's attempts.
 * @example const log = await runJob(job(writeFiles, { catalog: { put: ['df.csv'] } }));
 */
export async function runJob(job: Job | string, opts: TestRunOptions = {}): Promise<RunLog> {
  checkOptions(opts, PIPELINE_KEYS.slice(0, 9));
  const env = opts.env ?? process.env;
  const cwd = path.resolve(opts.cwd ?? process.cwd());
  const model: Job | string = typeof job === 'string' ? job : { task: taskFor(job, cwd), source: job.source };
  const prepared = await prepareJob({ job: model, configFile: opts.config, cwd, env, runId: opts.runId ?? generateRunId(), tag: opts.tag ?? '' });
  prepared.parameters = await initialParameters(opts, cwd, env);
  return withCatalog(opts.catalogDir, cwd, async (catalog) => {
    const run = { ...prepared, store: new BufferedRunLogStore(), catalog, jobExecutor: prepared.jobExecutor };
    return (await executePreparedJob(run, { observer: opts.observer ?? {} })).runLog;
  });
}

async function withCatalog<T>(dir: string | undefined, cwd: string, fn: (catalog: FileSystemCatalog) => Promise<T>): Promise<T> {
  const location = dir ? path.resolve(cwd, dir) : await mkdtemp(path.join(tmpdir(), 'runnable-test-catalog-'));
  try {
    return await fn(new FileSystemCatalog(location));
  } finally {
    if (!dir) await rm(location, { recursive: true, force: true });
  }
}

async function initialParameters(opts: TestRunOptions, cwd: string, env: NodeJS.ProcessEnv): Promise<Parameters> {
  const params = await loadInitialParameters({ file: opts.parametersFile, cwd, env });
  for (const [name, value] of Object.entries(opts.parameters ?? {})) {
    checkName(name, { field: 'parameters' });
    if (value === undefined) throw new RunnableError('E_PARAMS', `parameter '${name}' is undefined`, { field: `parameters.${name}` });
    params[name] = { kind: 'json', value: JSON.parse(JSON.stringify(value)) as unknown };
  }
  return params;
}

/** An SDK pipeline re-rooted at the run's cwd; a core model as it is. */
function modelFor(pipeline: Pipeline, cwd: string): Pipeline {
  const sdk = pipeline as Pipeline & { graphFor?: (cwd: string) => Graph };
  return typeof sdk.graphFor === 'function' ? { graph: sdk.graphFor(cwd), source: pipeline.source } : pipeline;
}

function taskFor(job: Job, cwd: string): TaskNode {
  const sdk = job as Job & { taskFor?: (cwd: string) => TaskNode };
  return typeof sdk.taskFor === 'function' ? sdk.taskFor(cwd) : job.task;
}

function checkOptions(opts: object, allowed: string[]): void {
  for (const key of Object.keys(opts)) {
    if (!allowed.includes(key)) throw new RunnableError('E_USAGE', `unknown option '${key}' (allowed: ${allowed.join(', ')})`, { field: key });
  }
}
