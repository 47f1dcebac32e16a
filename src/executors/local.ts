/**
 * `local`: every step in this process, in order; `max_parallel: N` runs up to N branches of a
 * parallel or map step at once (shell steps as concurrent processes, TS functions interleaved).
 */
import { z } from 'zod';
import type { Plugin } from '../registry.js';
import type { RunContext } from '../engine/context.js';
import { Traversal } from '../engine/traverse.js';
import type { PipelineExecutor } from './types.js';

export const localConfig = z.strictObject({
  max_parallel: z.number().int().min(1).default(1),
});

export class LocalExecutor implements PipelineExecutor {
  readonly type = 'local';
  readonly exclusive = true;
  constructor(private readonly config: z.infer<typeof localConfig>) {}

  execute(rc: RunContext) {
    return new Traversal(this.config.max_parallel).runGraph(rc, rc.pipeline.graph, []);
  }
}

export const local: Plugin<PipelineExecutor, z.infer<typeof localConfig>> = {
  config: localConfig,
  create: (config) => new LocalExecutor(config),
};
