/** The RunContext every entry point (execute, retry, execute-single-node, a job's task) hands to the engine. */
import { setMaxListeners } from 'node:events';
import type { CacheSettings } from '../cache/types.js';
import type { RunContext, RunObserver } from '../engine/context.js';
import type { Pipeline } from '../graph/model.js';
import type { RunLogAccess } from '../runlog/access.js';
import { codeIdentity } from '../util/git.js';
import type { Services } from './prepare.js';

export interface RunContextInputs {
  pipeline: Pipeline;
  log: RunLogAccess;
  observer?: RunObserver;
  signal?: AbortSignal;
  retrying: boolean;
  cache?: CacheSettings;
  /** extra environment for steps run in other processes (telemetry's TRACEPARENT) */
  commandEnv?: RunContext['commandEnv'];
}

export function runContext(services: Pick<Services, 'cwd' | 'config' | 'catalog' | 'secrets'>, inputs: RunContextInputs): RunContext {
  const signal = inputs.signal ?? new AbortController().signal;
  // every running step listens for Ctrl-C: a wide map or max_parallel passes node's default of 10
  setMaxListeners(0, signal);
  const { cwd } = services;
  return {
    runId: inputs.log.runId,
    pipeline: inputs.pipeline,
    cwd,
    log: inputs.log,
    catalog: services.catalog,
    secrets: services.secrets,
    observer: inputs.observer ?? {},
    signal,
    codeIdentity: () => codeIdentity(cwd),
    retrying: inputs.retrying,
    configFile: services.config.file,
    ...(inputs.cache ? { cache: inputs.cache } : {}),
    ...(inputs.commandEnv ? { commandEnv: inputs.commandEnv } : {}),
  };
}
