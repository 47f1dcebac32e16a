/**
 * A command as a child process of this one: what the `emulate` launcher is, and what the
 * container launcher runs (`podman run ...` is a child process too). Output is streamed live to
 * the observer (a fan command's JSON line is kept for the protocol), SIGTERM on abort (the step
 * process records its step FAIL, as a remote engine's job would on cancel), the end of stderr kept.
 */
import { spawn } from 'node:child_process';
import { declaredSecrets, inheritedEnv } from '../secrets/scope.js';
import type { Readable } from 'node:stream';
import { handedCodeIdentity } from '../util/git.js';
import { lifelineOf, tied } from '../util/lifeline.js';
import { displayCommand } from '../util/sh-words.js';
import type { RunContext } from '../engine/context.js';
import { beforeJsonLine } from '../engine/protocol.js';
import { programFor, type Launcher, type StepCommand, type StepProcessResult } from '../engine/launcher.js';

const STDERR_TAIL_BYTES = 4096;

/** Runs `file args` for `cmd` and waits for it to end, with this process's environment (less other steps' secrets), the step's secrets and `cmd.env`. */
export async function runProcess(rc: RunContext, cmd: StepCommand, file: string, args: string[]): Promise<StepProcessResult> {
  // the run's secrets reach only the step that declares them (secrets/scope.ts)
  const env = { ...inheritedEnv(), ...(await declaredSecrets(rc.secrets, cmd.node)) };
  return new Promise((resolve) => {
    // tied: if the driver dies (kill -9, SIGHUP), its step processes get SIGTERM and record their step FAIL;
    // RUNNABLE_RUN_ID marks them as the run's, for `retry` to wait for (src/runner/orphans.ts)
    rc.observer.debug?.(`${cmd.internalName}: ${displayCommand(file, args)}`);
    const stdio = ['ignore', 'pipe', 'pipe'] as const;
    const run = tied(file, args, stdio);
    const child = spawn(run.file, run.args, { cwd: rc.cwd, env: { ...env, RUNNABLE_RUN_ID: rc.runId, ...cmd.env }, stdio: run.stdio });
    const lifeline = lifelineOf(child, stdio);
    child.on('exit', () => lifeline.release());
    // fan commands print their JSON on stdout: kept, not shown; a step's stdout is its output
    const keepStdout = cmd.kind === 'fan';
    let stdout = '';
    let tail = Buffer.alloc(0);
    const { stdout: outStream, stderr: errStream } = child as { stdout: Readable; stderr: Readable };
    outStream.on('data', (chunk: Buffer) => {
      if (keepStdout) stdout += chunk.toString('utf8');
      else rc.observer.output?.(cmd.internalName, 1, chunk);
    });
    errStream.on('data', (chunk: Buffer) => {
      rc.observer.output?.(cmd.internalName, 2, chunk);
      tail = Buffer.concat([tail, chunk]);
      if (tail.length > STDERR_TAIL_BYTES) tail = tail.subarray(tail.length - STDERR_TAIL_BYTES);
    });
    const stop = () => child.kill('SIGTERM');
    rc.signal.addEventListener('abort', stop, { once: true });
    let error: string | undefined;
    child.on('error', (err) => {
      lifeline.release();
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

/**
 * Every command a child process of this one, with this node and this installation (`emulate`).
 * The command runs here, in the run's directory: it takes the run's code identity from this
 * process instead of asking git again (util/git.ts).
 */
export class ChildProcessLauncher implements Launcher {
  async launch(rc: RunContext, cmd: StepCommand): Promise<StepProcessResult> {
    const env = { ...handedCodeIdentity(rc.cwd, await rc.codeIdentity()), ...cmd.env };
    return runProcess(rc, { ...cmd, env }, process.execPath, [programFor(cmd), ...cmd.args]);
  }
}
