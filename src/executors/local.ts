/**
 * `local`: every step in this process, in order; `max_parallel: N` runs up to N branches of a
 * parallel or map step at once (shell steps as concurrent processes, TS functions interleaved).
 */
import * as z from 'zod';
import type { Plugin } from '../registry.js';
import type { RunContext } from '../engine/context.js';
import { Traversal } from '../engine/traverse.js';
import type { PipelineExecutor } from './types.js';
import { branchWidth, parallelFields } from './_parallel.js';

export const localConfig = z.strictObject({
  ...parallelFields,
  /**
   * runnable's switch: false keeps object parameters in this process as they are (no v8
   * serialisation, nothing in the catalog), for objects that cannot be serialised; a retry of
   * such a run cannot read them back
   */
  object_serialisation: z.boolean().default(true),
});

export class LocalExecutor implements PipelineExecutor {
  readonly type = 'local';
  readonly exclusive = true;
  constructor(private readonly config: z.infer<typeof localConfig>) {}

  execute(rc: RunContext) {
    const ctx = this.config.object_serialisation ? rc : { ...rc, objectsInMemory: new Map<string, unknown>() };
    return new Traversal(branchWidth(this.config)).runGraph(ctx, ctx.pipeline.graph, []);
  }
}

export const local: Plugin<PipelineExecutor, z.infer<typeof localConfig>> = {
  config: localConfig,
  create: (config) => new LocalExecutor(config),
};
