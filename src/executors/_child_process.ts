/**
 * A command as a child process of this one: what the `emulate` launcher is, and what the
 * container launcher runs (`podman run ...` is a child process too). Output is streamed live to
 * the observer (a fan command's JSON line is kept for the protocol), SIGTERM on abort (the step
 * process records its step FAIL, as a remote engine's job would on cancel), the end of stderr kept.
 */
import { spawn } from 'node:child_process';
import type { RunContext } from '../engine/context.js';
import { beforeJsonLine } from '../engine/protocol.js';
import { programFor, type Launcher, type StepCommand, type StepProcessResult } from '../engine/launcher.js';

const STDERR_TAIL_BYTES = 4096;

/** Runs `file args` for `cmd` and waits for it to end, with this process's environment plus `cmd.env`. */
export function runProcess(rc: RunContext, cmd: StepCommand, file: string, args: string[]): Promise<StepProcessResult> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { cwd: rc.cwd, env: { ...process.env, ...cmd.env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
    const stop = () => child.kill('SIGTERM');
    rc.signal.addEventListener('abort', stop, { once: true });
    let error: string | undefined;
    child.on('error', (err) => (error = err.message));
    child.on('close', (exitCode, signal) => {
      rc.signal.removeEventListener('abort', stop);
      // anything printed before the JSON line (a reducer's console.log) is still shown
      const shown = keepStdout ? beforeJsonLine(stdout) : '';
      if (shown) rc.observer.output?.(cmd.internalName, 1, shown);
      resolve({ exitCode, signal, stdout, stderrTail: tail.toString('utf8'), error });
    });
  });
}

/** Every command a child process of this one, with this node and this installation (`emulate`). */
export class ChildProcessLauncher implements Launcher {
  launch(rc: RunContext, cmd: StepCommand): Promise<StepProcessResult> {
    return runProcess(rc, cmd, process.execPath, [programFor(cmd), ...cmd.args]);
  }
}
