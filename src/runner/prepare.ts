/**
 * Everything that can be wrong with the input is found here, before a run exists: the config
 * and its plugins, the pipeline, the parameters, the run id, commands, secrets (./preflight.ts:
 * all the problems at once). A RunnableError from here means exit 2 and nothing written.
 */
import { telemetrySettings } from '../telemetry/index.js';
import path from 'node:path';
import { cacheModes, type CacheMode } from '../cache/index.js';
import { catalogs } from '../catalog/index.js';
import type { CatalogStore } from '../catalog/types.js';
import { loadConfig, type LoadedConfig } from '../config/load-config.js';
import { RunnableError, throwProblems } from '../errors.js';
import { pipelineExecutors, type PipelineExecutor } from '../executors/index.js';
import type { Pipeline } from '../graph/model.js';
import { loadInitialParameters } from '../params/load.js';
import type { PluginEnv } from '../registry.js';
import { runLogStores } from '../runlog/index.js';
import type { Parameters, RunLogStore } from '../runlog/types.js';
import { secretsStores } from '../secrets/index.js';
import type { SecretsStore } from '../secrets/types.js';
import { loadPipelineSource } from './load.js';
import { pipelineProblems } from './preflight.js';
import { generateRunId, validateRunId } from '../util/run-id.js';

export interface RunInputs {
  /** a pipeline file (YAML or module), or an already built pipeline */
  pipeline: string | Pipeline;
  configFile?: string;
  parametersFile?: string;
  runId?: string;
  tag?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** `--detach`: the executor hands the run over and returns (slurm); others refuse */
  detach?: boolean;
  /**
   * also load each task's code and follow the parameters to each step (./preflight.ts `deep`):
   * what a step would fail on is exit 2 before the run. `runnable execute` asks for it; the
   * library leaves a pipeline to fail where it fails (tests of failing steps rely on it).
   */
  deep?: boolean;
}

export interface Services {
  cwd: string;
  config: LoadedConfig;
  executor: PipelineExecutor;
  store: RunLogStore;
  catalog: CatalogStore;
  secrets: SecretsStore;
  /** config `step-cache` (default per-step: only tasks with `cache: true`) */
  stepCache?: CacheMode;
}

export interface PreparedRun extends Services {
  pipeline: Pipeline;
  parameters: Parameters;
  /** the parameters file they came from, if any */
  parametersFile?: string;
  runId: string;
  tag: string;
  /** what the deep checks could not be sure of, for the user to see before the run starts */
  warnings?: RunnableError[];
}

/** Config and the plugins it names. */
export async function loadServices(opts: { configFile?: string; cwd?: string; env?: NodeJS.ProcessEnv; detach?: boolean }): Promise<Services> {
  const cwd = path.resolve(opts.cwd ?? process.cwd());
  const env = opts.env ?? process.env;
  const config = await loadConfig({ file: opts.configFile, cwd, env });
  const penv: PluginEnv = { cwd, configFile: config.file, env };
  const s = config.sections;
  telemetrySettings(config, env); // a bad `telemetry` section is exit 2 before anything runs
  return {
    cwd,
    config,
    executor: detachedIf(opts.detach, pipelineExecutors.create(s['pipeline-executor'].type, s['pipeline-executor'].config, penv)),
    store: runLogStores.create(s['run-log-store'].type, s['run-log-store'].config, penv),
    catalog: catalogs.create(s.catalog.type, s.catalog.config, penv),
    secrets: secretsStores.create(s.secrets.type, s.secrets.config, penv),
    stepCache: cacheModes.create(s['step-cache'].type, s['step-cache'].config, penv),
  };
}

/**
 * Remote stores (S3): the bucket exists, the credentials work, the endpoint answers. Called by
 * what starts or continues a run (execute, execute-job, retry) before any step: exit 2 here, not
 * mid-run. (Not by loadServices itself: a step's own process, `runs`, and the testing helpers,
 * which replace the stores, need no extra request.)
 */
export async function checkAccess(services: Pick<Services, 'store' | 'catalog' | 'config'>): Promise<void> {
  await Promise.all([services.store.checkAccess?.(), services.catalog.checkAccess?.()]).catch((e: unknown) => {
    throw e instanceof RunnableError && !e.where.file ? new RunnableError(e.code, e.message, { ...e.where, file: services.config.file }) : e;
  });
}

/** `--detach` asked of an executor that runs the pipeline in this process is bad usage. */
function detachedIf(detach: boolean | undefined, executor: PipelineExecutor): PipelineExecutor {
  if (!detach) return executor;
  if (!executor.detached) {
    throw new RunnableError('E_USAGE', `--detach: the '${executor.type}' pipeline executor runs the pipeline from this process and cannot hand it over (slurm can)`, {
      field: 'pipeline-executor',
    });
  }
  return executor.detached();
}

export async function prepareRun(inputs: RunInputs): Promise<PreparedRun> {
  const env = inputs.env ?? process.env;
  const services = await loadServices({ configFile: inputs.configFile ?? env.RUNNABLE_CONFIGURATION_FILE, cwd: inputs.cwd, env, detach: inputs.detach });
  const { cwd } = services;
  await checkAccess(services);
  const pipeline = typeof inputs.pipeline === 'string' ? await loadPipelineSource(inputs.pipeline, cwd) : inputs.pipeline;
  const parametersFile = inputs.parametersFile ?? env.RUNNABLE_PARAMETERS_FILE;
  const parameters = await loadInitialParameters({ file: parametersFile, cwd, env });
  const { executor } = services;
  const found = await pipelineProblems(executor.pipelineToCheck?.(pipeline, services.store) ?? pipeline, cwd, {
    // secrets are checked where the steps run; a pipeline handed to another engine (argo) gets them there
    secrets: executor.handOff ? undefined : services.secrets,
    deep: inputs.deep ? { parameters, inProcess: executor.exclusive, executor: executor.type } : undefined,
  });
  if (inputs.deep && !found.errors.length) found.errors.push(...((await executor.preflight?.(pipeline, services.config.file)) ?? []));
  throwProblems(found.errors);

  const runId = inputs.runId ?? env.RUNNABLE_RUN_ID ?? generateRunId();
  validateRunId(runId);
  if (await services.store.exists(runId)) {
    throw new RunnableError('E_RUN_ID', `run id '${runId}' is already used in ${services.store.location(runId)}`);
  }
  return { ...services, pipeline, parameters, parametersFile, runId, tag: inputs.tag ?? env.RUNNABLE_RUN_TAG ?? '', warnings: found.warnings };
}

/**
 * Every task's command kind exists and its command resolves; every secret is there (when a
 * secrets store is given: `validate` checks the pipeline, not the environment it runs in). All
 * the problems are found before one is thrown (./preflight.ts).
 */
export async function checkPipeline(pipeline: Pipeline, cwd: string, secrets?: SecretsStore): Promise<void> {
  throwProblems((await pipelineProblems(pipeline, cwd, { secrets })).errors);
}
