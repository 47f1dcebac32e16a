import { Registry } from '../registry.js';
import { local } from './local.js';
import type { PipelineExecutor } from './types.js';

export type { PipelineExecutor } from './types.js';
export type { RunContext, RunObserver } from './context.js';
export { Traversal } from './traverse.js';

export const pipelineExecutors = new Registry<PipelineExecutor>('pipeline-executor').register('local', local);
