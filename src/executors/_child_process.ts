/**
 * A command as a child process of this one: what the `emulate` launcher is, and what the
 * container launcher runs (`podman run ...` is a child process too). Output is streamed live to
 * the observer (a fan command's JSON line is kept for the protocol), SIGTERM on abort (the step
 * process records its step FAIL, as a remote engine's job would on cancel), the end of stderr kept.
 */
import { spawn, type ChildProcess, type IOType } from 'node:child_process';
import { declaredSecrets, inheritedEnv } from '../secrets/scope.js';
import type { Readable } from 'node:stream';
import { lifelineOf, tied } from '../util/lifeline.js';
import { displayCommand } from '../util/sh-words.js';
import type { RunContext } from '../engine/context.js';
import { beforeJsonLine } from '../engine/protocol.js';
import type { StepCommand, StepProcessResult } from '../engine/launcher.js';

const STDERR_TAIL_BYTES = 4096;

/** A child spawned tied to this process (util/lifeline.ts): its lifeline is released when it exits. */
export interface TiedChild {
  child: ChildProcess;
}

/**
 * Spawns `file args` in the run's directory with exactly `env`, tied to this process: if the
 * driver dies (kill -9, SIGHUP), the child gets SIGTERM (a step process then records its step
 * FAIL). `stdio` beyond the first three are extra pipes (a pre-started process's command).
 */
export function spawnTied(rc: RunContext, file: string, args: string[], env: NodeJS.ProcessEnv, stdio: readonly IOType[] = ['ignore', 'pipe', 'pipe']): TiedChild {
  const run = tied(file, args, stdio);
  const child = spawn(run.file, run.args, { cwd: rc.cwd, env, stdio: run.stdio });
  const lifeline = lifelineOf(child, stdio);
  child.on('exit', () => lifeline.release());
  child.on('error', () => lifeline.release());
  return { child };
}

/** The environment a command's process gets: this process's (less other steps' secrets), the step's secrets, the run's id and `cmd.env`. */
export async function commandEnv(rc: RunContext, cmd: StepCommand): Promise<NodeJS.ProcessEnv> {
  // the run's secrets reach only the step that declares them (secrets/scope.ts);
  // RUNNABLE_RUN_ID marks the run's processes, for `retry` to wait for (src/runner/orphans.ts)
  return { ...inheritedEnv(), ...(await declaredSecrets(rc.secrets, cmd.node)), RUNNABLE_RUN_ID: rc.runId, ...cmd.env };
}

/** Runs `file args` for `cmd` and waits for it to end, with `commandEnv`. */
export async function runProcess(rc: RunContext, cmd: StepCommand, file: string, args: string[]): Promise<StepProcessResult> {
  const env = await commandEnv(rc, cmd);
  rc.observer.debug?.(`${cmd.internalName}: ${displayCommand(file, args)}`);
  return follow(rc, cmd, spawnTied(rc, file, args, env));
}

/**
 * Streams a started child's output for `cmd` and resolves once it has ended; `early` is what it
 * printed before it was `cmd`'s (a pre-started process), shown first.
 */
export function follow(rc: RunContext, cmd: StepCommand, { child }: TiedChild, early: Array<[1 | 2, Buffer]> = []): Promise<StepProcessResult> {
  return new Promise((resolve) => {
    // fan commands print their JSON on stdout: kept, not shown; a step's stdout is its output
    const keepStdout = cmd.kind === 'fan';
    let stdout = '';
    let tail = Buffer.alloc(0);
    const onOut = (chunk: Buffer) => {
      if (keepStdout) stdout += chunk.toString('utf8');
      else rc.observer.output?.(cmd.internalName, 1, chunk);
    };
    const onErr = (chunk: Buffer) => {
      rc.observer.output?.(cmd.internalName, 2, chunk);
      tail = Buffer.concat([tail, chunk]);
      if (tail.length > STDERR_TAIL_BYTES) tail = tail.subarray(tail.length - STDERR_TAIL_BYTES);
    };
    for (const [stream, chunk] of early) (stream === 1 ? onOut : onErr)(chunk);
    const { stdout: outStream, stderr: errStream } = child as { stdout: Readable; stderr: Readable };
    outStream.on('data', onOut);
    errStream.on('data', onErr);
    const stop = () => child.kill('SIGTERM');
    rc.signal.addEventListener('abort', stop, { once: true });
    let error: string | undefined;
    child.on('error', (err) => {
      error = err.message;
    });
    child.on('close', (exitCode, signal) => {
      rc.signal.removeEventListener('abort', stop);
      // anything printed before the JSON line (a reducer's console.log) is still shown
      const shown = keepStdout ? beforeJsonLine(stdout) : '';
      if (shown) rc.observer.output?.(cmd.internalName, 1, shown);
      resolve({ exitCode, signal, stdout, stderrTail: tail.toString('utf8'), error });
    });
  });
}
