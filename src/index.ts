/**
 * runnable-ts public API: the whole surface at a glance.
 */
export { RunnableError } from './errors.js';
export type { ErrorCode, ErrorLocation } from './errors.js';

export { executePipeline } from './runner/execute.js';
export type { ExecuteOptions, RunResult } from './runner/execute.js';
export type { RunObserver } from './executors/context.js';

export { loadPipelineFile, parsePipeline } from './spec/load-pipeline.js';
export { pipelineJsonSchema } from './spec/json-schema.js';
export { dagHash } from './graph/hash.js';

export type * from './graph/model.js';
export type * from './runlog/types.js';
