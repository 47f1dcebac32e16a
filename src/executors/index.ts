import { Registry } from '../registry.js';
import { argo } from './argo/index.js';
import { emulate } from './emulate.js';
import { local } from './local.js';
import { localContainer } from './local-container.js';
import { mocked } from './mocked.js';
import { slurm } from './slurm.js';
import type { PipelineExecutor } from './types.js';

export type { PipelineExecutor } from './types.js';
export type { RunContext, RunObserver } from '../engine/context.js';
export { Traversal } from '../engine/traverse.js';

export const pipelineExecutors = new Registry<PipelineExecutor>('pipeline-executor').register('local', local).register('mocked', mocked).register('emulate', emulate);
pipelineExecutors.register('slurm', slurm);
pipelineExecutors.register('local-container', localContainer);
pipelineExecutors.register('argo', argo);
// runnable's configs spell it so
pipelineExecutors.register('emulator', emulate);
pipelineExecutors.unsupported('retry', "runnable's retry executor is the command 'runnable retry RUN_ID [-c CONFIG]' here");
