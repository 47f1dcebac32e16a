/**
 * How many branches of a parallel or map step run at once, as the in-process and child-process
 * executors take it: `max_parallel: N`, or runnable's switch `enable_parallel: true` (its own
 * configs use it), which runs as many branches at once as this machine has cores. `max_parallel`
 * wins when both are given; neither means one at a time.
 */
import { availableParallelism } from 'node:os';
import * as z from 'zod';

export const parallelFields = {
  /** branches of one parallel or map step running at once */
  max_parallel: z.number().int().min(1).optional(),
  /** runnable's spelling: true runs as many branches at once as there are cores */
  enable_parallel: z.boolean().optional(),
};

export function branchWidth(config: { max_parallel?: number | undefined; enable_parallel?: boolean | undefined }): number {
  return config.max_parallel ?? (config.enable_parallel ? Math.max(2, availableParallelism()) : 1);
}
