/**
 * runnable-ts public API: the whole surface at a glance.
 */
export { RunnableError } from './errors.js';
export type { ErrorCode, ErrorLocation } from './errors.js';

// Building pipelines in code (the SDK)
export {
  pipeline,
  Pipeline,
  task,
  shell,
  notebook,
  python,
  stub,
  success,
  fail,
  parallel,
  map,
  conditional,
  loop,
  json,
  object,
  metric,
  PipelineFailedError,
  RunFailedError,
  loadPipelineModule,
  isPipelineModulePath,
  graphToYAML,
  job,
  Job,
  JobFailedError,
  isJob,
  loadJobModule,
} from './sdk/index.js';
export type { JobOptions, FunctionJobOptions, JobExecuteOptions } from './sdk/index.js';
export type { LogLevel } from './views/log-level.js';
export type {
  PipelineOptions,
  PipelineExecuteOptions,
  ExecuteObserver,
  Step,
  StepOptions,
  TaskOptions,
  NamedTaskOptions,
  NotebookOptions,
  CatalogOptions,
  MapSpec,
  ConditionalSpec,
  LoopSpec,
  Returned,
  AnyFunction,
} from './sdk/index.js';

// Running pipelines
export { executePipeline } from './runner/execute.js';
export type { ExecuteOptions, RunResult } from './runner/execute.js';
export { retryRun } from './runner/retry.js';
export type { RetryOptions } from './runner/retry.js';
export type { RunObserver } from './engine/context.js';

// Pipelines from YAML
export { loadPipelineFile, parsePipeline } from './yaml/load-pipeline.js';
export { pipelineJsonSchema } from './yaml/json-schema.js';
export { dagHash } from './graph/hash.js';

// The model and the run log
export type { Pipeline as PipelineModel } from './graph/model.js';
export type * from './graph/model.js';
export type * from './runlog/types.js';
