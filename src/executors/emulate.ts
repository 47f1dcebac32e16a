/**
 * `emulate`: every task (and stub) in its own `runnable execute-single-node` process and every
 * composite through `runnable fan ... in|out` processes, on this machine, exactly as a remote
 * engine drives them: what a run needs crosses between steps only through the run log, the
 * catalog and the command line. A pipeline that runs under `emulate` runs on containers, Slurm
 * or Argo as it is.
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
import { spawn } from 'node:child_process';
import { z } from 'zod';
import type { Plugin } from '../registry.js';
import type { Pipeline } from '../graph/model.js';
import type { RunLogStore, Status } from '../runlog/types.js';
import type { RunContext } from './context.js';
import { ProtocolTraversal, type StepCommand, type StepProcessResult } from './_protocol.js';
import { fileForOtherProcesses } from './_elsewhere.js';
import type { PipelineExecutor } from './types.js';
import { installed } from '../util/package-root.js';

export const emulateConfig = z.strictObject({
  max_parallel: z.number().int().min(1).default(1),
});

/** The `runnable` binary of this installation. */
export const RUNNABLE_BIN = installed('bin/runnable.js');

const STDERR_TAIL_BYTES = 4096;

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
    const width = rc.log.store.concurrentWriters ? this.config.max_parallel : 1;
    return new ChildProcessTraversal(width).runGraph(rc, rc.pipeline.graph, []);
  }
}

/** Protocol commands as child processes of this one, with this node and this installation. */
export class ChildProcessTraversal extends ProtocolTraversal {
  /** The program and arguments that run `runnable <cmd.args>`; a subclass may run it elsewhere (local-container: in a container). */
  protected processFor(_rc: RunContext, cmd: StepCommand): { file: string; args: string[] } {
    return { file: process.execPath, args: [RUNNABLE_BIN, ...cmd.args] };
  }

  launch(rc: RunContext, cmd: StepCommand): Promise<StepProcessResult> {
    return new Promise((resolve) => {
      const { file, args } = this.processFor(rc, cmd);
      const child = spawn(file, args, { cwd: rc.cwd, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
      // fan commands print their JSON on stdout: kept, not shown; a step's stdout is its output
      const keepStdout = cmd.kind === 'fan';
      let stdout = '';
      let tail = Buffer.alloc(0);
      child.stdout.on('data', (chunk: Buffer) => {
        if (keepStdout) stdout += chunk.toString('utf8');
        else rc.observer.output?.(cmd.internalName, 1, chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => {
        rc.observer.output?.(cmd.internalName, 2, chunk);
        tail = Buffer.concat([tail, chunk]);
        if (tail.length > STDERR_TAIL_BYTES) tail = tail.subarray(tail.length - STDERR_TAIL_BYTES);
      });
      // the step process records its step FAIL on SIGTERM, as a remote engine's job would on cancel
      const stop = () => child.kill('SIGTERM');
      rc.signal.addEventListener('abort', stop, { once: true });
      let error: string | undefined;
      child.on('error', (err) => (error = err.message));
      child.on('close', (exitCode, signal) => {
        rc.signal.removeEventListener('abort', stop);
        if (keepStdout) {
          // anything printed before the JSON line (a reducer's console.log) is still shown
          const cut = stdout.trimEnd().lastIndexOf('\n');
          if (cut > 0) rc.observer.output?.(cmd.internalName, 1, stdout.slice(0, cut + 1));
        }
        resolve({ exitCode, signal, stdout, stderrTail: tail.toString('utf8'), error });
      });
    });
  }
}

export const emulate: Plugin<PipelineExecutor, z.infer<typeof emulateConfig>> = {
  config: emulateConfig,
  create: (config) => new EmulateExecutor(config),
};
