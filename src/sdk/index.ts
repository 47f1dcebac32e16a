/**
 * The TypeScript SDK: build a pipeline in code. It produces the same core model
 * (src/graph/model.ts) as the YAML loader, so everything that runs YAML runs it.
 */
export { task, shell, notebook, python, stub, success, fail } from './steps.js';
export { parallel, map, conditional, loop } from './composites.js';
export type { MapSpec, ConditionalSpec, LoopSpec } from './composites.js';
export { json, object, metric } from './returns.js';
export type { Returned } from './returns.js';
export { pipeline, Pipeline } from './pipeline.js';
export type { PipelineOptions, PipelineExecuteOptions, ExecuteObserver } from './pipeline.js';
export { PipelineFailedError, RunFailedError } from './errors.js';
export type { RunObserver } from '../engine/context.js';
export { graphToYAML } from './to-yaml.js';
export { loadPipelineModule, isPipelineModulePath } from '../runner/load-module.js';
export { locateFunction, commandFor } from './locate.js';
export type { AnyFunction, FunctionLocation } from './locate.js';
export type * from './types.js';
export { job, Job, JobFailedError, isJob, loadJobModule } from './job.js';
export type { JobOptions, FunctionJobOptions, JobExecuteOptions } from './job.js';
