/**
 * `pipeline([...])`: the SDK's pipeline object. It is a core model pipeline (`graph`, `source`)
 * that can also draw itself as YAML and run itself. Everything that can be wrong with it is found
 * when it is built: step names, order, functions that cannot be located, and `validateGraph`.
 */
import path from 'node:path';
import { RunnableError } from '../errors.js';
import type { Graph, Pipeline as PipelineModel } from '../graph/model.js';
import { validateGraph } from '../graph/validate.js';
import type { RunObserver } from '../engine/context.js';
import type { RunLog, Status } from '../runlog/types.js';
import type { LogLevel } from '../views/log-level.js';
import { describeValue, isStep, PIPELINE_BRAND } from './_brand.js';
import { buildGraph } from './_build.js';
import { schemaError } from './_checks.js';
import { checkKeys } from './_options.js';
import { driveReported, runInputsOf, sourceOf } from './_execute.js';
import { callerFile } from './_origin.js';
import { PipelineFailedError } from './errors.js';
import { graphToYAML } from './to-yaml.js';
import type { Step } from './types.js';

export interface PipelineOptions {
  /** documentation; kept in the YAML, not part of the structure (`dag_hash`) */
  description?: string;
  /**
   * the directory that function steps' module paths are written relative to in `graph` and
   * `toYAML()` (default: `process.cwd()`); `execute({cwd})` and `graphFor(cwd)` re-root them
   */
  cwd?: string;
}

export interface PipelineExecuteOptions {
  /** configuration file (default: RUNNABLE_CONFIGURATION_FILE, else runnable-config.yaml if present) */
  config?: string;
  /** initial parameters, a YAML file (default: RUNNABLE_PARAMETERS_FILE) */
  parametersFile?: string;
  runId?: string;
  tag?: string;
  /** the run's working directory (default: `process.cwd()`) */
  cwd?: string;
  /** the environment the run reads its RUNNABLE_* settings and `env-secrets` from (default: `process.env`) */
  env?: NodeJS.ProcessEnv;
  /** as `--no-cache`: cached steps run anyway, and their results refresh the step cache */
  noCache?: boolean;
  /**
   * true: print nothing. By default the run reports itself as `runnable execute` does: a line as
   * each step starts and ends, the tasks' output, and a summary (run id, status, parameters,
   * failed steps with their log files, the command that continues the run), on stderr
   */
  quiet?: boolean;
  /** how much the reporter says, as `runnable --log-level` (default info): `warning` shows no progress, a summary only if the run fails; `debug` adds the configuration and each command started */
  logLevel?: LogLevel;
  /** told of the run's events as they happen (with or without `quiet`) */
  observer?: ExecuteObserver;
  /** aborting it stops the run as Ctrl-C does: running steps are stopped, the run ends FAIL */
  signal?: AbortSignal;
}

/**
 * Callbacks for a program following a run (all optional): the engine's events (`RunObserver`)
 * and the run's start (its id, once its run log exists) and end.
 * @example
 * await p.execute({ quiet: true, observer: { runStarted: ({ runId }) => console.log(runId), stepFinished: (e) => console.log(e.internalName, e.status) } });
 */
export interface ExecuteObserver extends RunObserver {
  runStarted?(run: { runId: string; location: string }): void;
  runFinished?(run: { runId: string; status: Status; location: string }): void;
}

const EXECUTE_KEYS = ['config', 'parametersFile', 'runId', 'tag', 'cwd', 'env', 'noCache', 'quiet', 'logLevel', 'observer', 'signal'];

/** A pipeline built with `pipeline([...])`. It is also a core model pipeline: pass it wherever one is taken. */
export class Pipeline implements PipelineModel {
  declare readonly [PIPELINE_BRAND]: true;
  /** the steps as given, in run order */
  readonly steps: readonly Step[];
  readonly description?: string;
  /** the directory `graph`'s function paths are relative to */
  readonly cwd: string;
  /** the core model of this pipeline */
  readonly graph: Graph;
  readonly #origin: string | undefined;

  /** @internal use `pipeline([...])` */
  constructor(steps: readonly Step[], opts: PipelineOptions, origin: string | undefined) {
    Object.defineProperty(this, PIPELINE_BRAND, { value: true });
    this.steps = Object.freeze([...steps]);
    if (opts.description !== undefined) this.description = opts.description;
    this.cwd = path.resolve(opts.cwd ?? process.cwd());
    this.#origin = origin;
    this.graph = buildGraph(this, '', this.cwd);
  }

  /** Where the pipeline was defined: the module that called `pipeline(...)`. */
  get source(): PipelineModel['source'] {
    return sourceOf(this.#origin, this.cwd, 'pipeline');
  }

  /**
   * The model with function paths relative to `cwd` (the run's working directory).
   * @example const graph = p.graphFor('/srv/project');
   */
  graphFor(cwd: string): Graph {
    const dir = path.resolve(cwd);
    return dir === this.cwd ? this.graph : buildGraph(this, '', dir);
  }

  /**
   * The equivalent pipeline YAML: loading it gives a model with the same `dag_hash`.
   * @example writeFileSync('pipeline.yaml', p.toYAML());
   */
  toYAML(): string {
    return graphToYAML(this.graph);
  }

  /**
   * Runs the pipeline in this process with the configured executor, reporting its progress on
   * stderr as `runnable execute` does (`quiet: true` for none; `observer` to follow it from the
   * program). Resolves to the run log (its `run_id` the run's id) when the run succeeds; rejects
   * with `PipelineFailedError` when it fails, a RunnableError (code `E_RUN_FAILED`) holding the
   * run id and the run log, and with a `RunnableError` of another code for bad input (config,
   * parameters, run id), before anything runs.
   * @example const log = await p.execute({ parametersFile: 'params.yaml' }); console.log(log.run_id);
   */
  async execute(opts: PipelineExecuteOptions = {}): Promise<RunLog> {
    const inputs = runInputsOf(opts, EXECUTE_KEYS);
    const model: PipelineModel = { graph: this.graphFor(inputs.cwd), source: sourceOf(this.#origin, inputs.cwd, 'pipeline') };
    // The engine is loaded on the first run only: defining a pipeline does not pay for it.
    const { executePrepared } = await import('../runner/execute.js');
    const { prepareRun } = await import('../runner/prepare.js');
    const prepared = await prepareRun({ ...inputs, pipeline: model });
    const result = await driveReported(opts, model.graph, (drive) => executePrepared(prepared, drive));
    // an executor that hands the pipeline over (argo) ran nothing: CREATED, the manifest in run_config.manifest
    if (result.status !== 'SUCCESS' && !result.handOff) throw new PipelineFailedError(result.runLog, result.location);
    return result.runLog;
  }
}

/**
 * A pipeline: the steps run in list order (each step's `next` is the following one, the last
 * goes to `success`). Throws a RunnableError here, not when run, for anything wrong with it.
 * @example
 * export default pipeline([task(prepare, { returns: ['rows'] }), shell('echo $rows', { name: 'show' })]);
 */
export function pipeline(steps: readonly Step[], opts: PipelineOptions = {}): Pipeline {
  checkKeys(opts, ['description', 'cwd'], undefined);
  if (opts.description !== undefined && typeof opts.description !== 'string') throw schemaError('description must be a string', undefined, 'description');
  if (opts.cwd !== undefined && typeof opts.cwd !== 'string') throw schemaError('cwd must be a directory path', undefined, 'cwd');
  if (!Array.isArray(steps)) throw schemaError(`pipeline() takes a list of steps, got ${describeValue(steps)}`, undefined, 'steps');
  if (steps.length === 0) throw schemaError('no steps defined: a pipeline needs at least one step', undefined, 'steps');
  steps.forEach((s, i) => {
    if (!isStep(s)) {
      const hint = describeValue(s) === 'a pipeline' ? ' (to nest a pipeline, use parallel, map, conditional or loop)' : '';
      throw schemaError(`steps[${i}] is ${describeValue(s)}, not a step${hint}`, undefined, `steps[${i}]`);
    }
  });
  checkOrder(steps);
  // Building the graph locates every function: one that cannot be loaded is an error here.
  const built = new Pipeline(steps, opts, callerFile(pipeline));
  validateGraph(built.graph);
  return built;
}

/** Unique names; no step after one that ends the pipeline (it could never run). */
function checkOrder(steps: readonly Step[]): void {
  const seen = new Set<string>();
  steps.forEach((step, i) => {
    if (seen.has(step.name)) {
      throw new RunnableError('E_GRAPH', `duplicate step name '${step.name}': step names must be unique within a pipeline`, { step: step.name });
    }
    seen.add(step.name);
    const ends = step.type === 'success' || step.type === 'fail' ? step.type : step.traversal.terminate && `terminateWith${step.traversal.terminate === 'success' ? 'Success' : 'Failure'}`;
    const after = steps[i + 1];
    if (ends && after) {
      throw schemaError(`step '${after.name}' can never run: '${step.name}' before it ends the pipeline (${ends}); make it the last step`, after.name);
    }
  });
}
