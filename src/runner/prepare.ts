/**
 * Everything that can be wrong with the input is found here, before a run exists: the config
 * and its plugins, the pipeline, the parameters, the run id, commands, secrets. A RunnableError
 * from here means exit 2 and nothing written.
 */
import { telemetrySettings } from '../telemetry/index.js';
import path from 'node:path';
import { cacheModes, type CacheMode } from '../cache/index.js';
import { catalogs } from '../catalog/index.js';
import type { CatalogStore } from '../catalog/types.js';
import { loadConfig, type LoadedConfig } from '../config/load-config.js';
import { RunnableError } from '../errors.js';
import { pipelineExecutors, type PipelineExecutor } from '../executors/index.js';
import type { Pipeline } from '../graph/model.js';
import { walkNodes } from '../graph/walk.js';
import { loadInitialParameters } from '../params/load.js';
import type { PluginEnv } from '../registry.js';
import { runLogStores } from '../runlog/index.js';
import type { Parameters, RunLogStore } from '../runlog/types.js';
import { hideSecrets, secretsStores } from '../secrets/index.js';
import type { SecretsStore } from '../secrets/types.js';
import { loadPipelineSource } from './load.js';
import { checkCommand, pythonForTasks, taskKindFor } from '../tasks/index.js';
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
  const pipeline = typeof inputs.pipeline === 'string' ? await loadPipelineSource(inputs.pipeline, cwd) : inputs.pipeline;
  // secrets are checked where the steps run; a pipeline handed to another engine (argo) gets them there
  await checkPipeline(services.executor.pipelineToCheck?.(pipeline, services.store) ?? pipeline, cwd, services.executor.handOff ? undefined : services.secrets);
  const parametersFile = inputs.parametersFile ?? env.RUNNABLE_PARAMETERS_FILE;
  const parameters = await loadInitialParameters({ file: parametersFile, cwd, env });

  const runId = inputs.runId ?? env.RUNNABLE_RUN_ID ?? generateRunId();
  validateRunId(runId);
  if (await services.store.exists(runId)) {
    throw new RunnableError('E_RUN_ID', `run id '${runId}' is already used in ${services.store.location(runId)}`);
  }
  return { ...services, pipeline, parameters, parametersFile, runId, tag: inputs.tag ?? env.RUNNABLE_RUN_TAG ?? '' };
}

/**
 * Every task's command kind exists and its command resolves; every secret is there (when a
 * secrets store is given: `validate` checks the pipeline, not the environment it runs in).
 */
export async function checkPipeline(pipeline: Pipeline, cwd: string, secrets?: SecretsStore): Promise<void> {
  const file = pipeline.source.path;
  // the pipeline is about to run: its secrets reach only the steps that declare them (secrets/scope.ts)
  if (secrets) hideSecrets([...walkNodes(pipeline.graph)].flatMap((n) => (n.type === 'task' ? n.secrets : [])));
  for (const node of walkNodes(pipeline.graph)) {
    if (node.type !== 'task' && !(node.type === 'map' && node.reducer)) continue;
    const where = { file, step: node.internalName };
    try {
      if (node.type === 'map') {
        // a TS/JS reducer module must exist; a Python reducer (lambda, dotted name) needs a Python
        if (MODULE_REDUCER.test(node.reducer!)) await checkCommand(node.reducer!, cwd).catch((e) => Promise.reject(asReducerError(e)));
        else await pythonForTasks().catch((e) => Promise.reject(asReducerError(e)));
        continue;
      }
      const kind = taskKindFor(node.commandType);
      await kind.check?.(node, cwd);
      if (secrets) for (const name of node.secrets) await secrets.get(name);
    } catch (err) {
      if (err instanceof RunnableError && !err.where.step) throw new RunnableError(err.code, err.message, { ...where, ...err.where, file: err.where.file ?? file });
      throw err;
    }
  }
}

const MODULE_REDUCER = /\.(m?ts|m?js)(:|$)/;

function asReducerError(err: unknown): unknown {
  return err instanceof RunnableError ? new RunnableError(err.code, err.message, { ...err.where, field: 'reducer' }) : err;
}
