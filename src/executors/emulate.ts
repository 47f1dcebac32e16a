/**
 * `emulate`: every task (and stub) in its own `runnable execute-single-node` process and every
 * composite through `runnable fan ... in|out` processes, on this machine, exactly as a remote
 * engine drives them: what a run needs crosses between steps only through the run log, the
 * catalog and the command line. A pipeline that runs under `emulate` runs on containers, Slurm
 * or Argo as it is.
 *
 * Step processes are started ahead of their steps (two wait ready at any time): a step then
 * waits only for its own work, not for Node and runnable to start (executors/_prestart.ts).
 *
 * Each command's stdout and stderr are streamed live to the terminal (the reporter); this
 * process reports progress from the run log. Ctrl-C stops the step processes (they record their
 * step FAIL) and the run; `retry` continues it.
 *
 * `max_parallel: N` runs up to N branches of a parallel or map step at once, which needs a
 * run-log store that takes concurrent writers (`chunked-fs`). With a single-writer store
 * (`file-system`) branches run one at a time, whatever `max_parallel` says: the step processes
 * then write the run log in turns, which that store supports. The `buffered` store lives in one
 * process and cannot be used.
 *
 * @example
 * # runnable-config.yaml
 * pipeline-executor:
 *   type: emulate
 *   config:
 *     max_parallel: 4
 * run-log-store:
 *   type: chunked-fs
 */
import * as z from 'zod';
import type { Plugin } from '../registry.js';
import type { Pipeline } from '../graph/model.js';
import type { RunLogStore, Status } from '../runlog/types.js';
import type { RunContext } from '../engine/context.js';
import { ProtocolTraversal } from '../engine/protocol.js';
import { ChildProcessLauncher } from './_child_launcher.js';
import { fileForOtherProcesses } from './_elsewhere.js';
import type { PipelineExecutor } from './types.js';
import { branchWidth, parallelFields } from './_parallel.js';

export const emulateConfig = z.strictObject({ ...parallelFields });

export class EmulateExecutor implements PipelineExecutor {
  readonly type = 'emulate';
  /** step processes write the run log: nothing may be cached */
  readonly exclusive = false;
  constructor(private readonly config: z.infer<typeof emulateConfig>) {}

  pipelineToCheck(pipeline: Pipeline, store: RunLogStore): Pipeline {
    fileForOtherProcesses(store, pipeline.source, 'pipeline', 'emulate', 'in other processes');
    return pipeline;
  }

  async execute(rc: RunContext): Promise<Status> {
    const width = rc.log.store.concurrentWriters ? branchWidth(this.config) : 1;
    // each step in its own process, started ahead of the step (executors/_prestart.ts)
    const launcher = new ChildProcessLauncher(true);
    try {
      return await new ProtocolTraversal(width, launcher).runGraph(rc, rc.pipeline.graph, []);
    } finally {
      await launcher.close();
    }
  }
}

export const emulate: Plugin<PipelineExecutor, z.infer<typeof emulateConfig>> = {
  config: emulateConfig,
  create: (config) => new EmulateExecutor(config),
};
