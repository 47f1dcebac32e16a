/**
 * Runs one of the shipped Python helpers (src/tasks/python/) for a task: the request goes in as
 * one JSON line on stdin, the helper's messages come back as JSON lines on file descriptor 3,
 * and its stdout/stderr (the user's code and cell outputs) stream into the step's sink.
 *
 * The helper runs in its own process group: an abort (Ctrl-C, timeout) sends SIGTERM to the
 * group, then SIGKILL after a grace period. A Jupyter kernel runs in a session of its own (as
 * jupyter_client starts it), so the helper reports its pid and it is killed here too if the
 * helper could not shut it down. Groups still alive when this process exits are killed.
 */
import { inheritedEnv } from '../secrets/scope.js';
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { abortMessage } from './_abort.js';
import { lifelineOf, tied } from '../util/lifeline.js';
import { TaskFailure, type TaskInput } from './types.js';

/** A message from the helper: `{type: 'result' | 'need' | 'kernel', ...}`. */
export type HelperMessage = { type: string } & Record<string, unknown>;

export interface HelperRun {
  python: string;
  script: string;
  request: unknown;
  input: Pick<TaskInput, 'cwd' | 'env' | 'output' | 'signal'>;
  /** answers a `need` message; the reply is written to the helper's stdin */
  onNeed?(message: HelperMessage): Promise<unknown>;
}

/** How long an aborted helper gets between SIGTERM and SIGKILL (it shuts its kernel down). */
const KILL_GRACE_MS = 5_000;
/** How long to keep reading output after the helper exits (a process it left holds the pipes). */
const DRAIN_GRACE_MS = 500;

const live = new Set<number>();
let exitHookInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs the helper to its end; resolves with its `result` message, or rejects with a TaskFailure. */
export function runHelper(run: HelperRun): Promise<HelperMessage> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => live.forEach((pid) => killGroup(pid, 'SIGKILL')));
  }
  const { input } = run;
  if (input.signal.aborted) return Promise.reject(new TaskFailure(abortMessage(input.signal)));
  return new Promise<HelperMessage>((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...inheritedEnv(), ...input.env, PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' };
    let child;
    const stdio = ['pipe', 'pipe', 'pipe', 'pipe'] as const;
    try {
      // tied: if this process dies (kill -9, SIGHUP), the helper's process group is stopped too
      const tiedRun = tied(run.python, ['-u', run.script], stdio);
      child = spawn(tiedRun.file, tiedRun.args, { cwd: input.cwd, env, detached: true, stdio: tiedRun.stdio });
    } catch (e) {
      reject(new TaskFailure(`cannot start ${run.python}: ${e instanceof Error ? e.message : String(e)}`));
      return;
    }
    const pid = child.pid;
    const lifeline = lifelineOf(child, stdio);
    const groups: number[] = [];
    if (pid !== undefined) {
      groups.push(pid);
      live.add(pid);
    }
    const stdin = child.stdin as Writable;
    const channel = child.stdio[3] as Readable;
    let result: HelperMessage | undefined;
    let failure: TaskFailure | undefined;
    let aborted = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let drainTimer: NodeJS.Timeout | undefined;
    let settled = false;

    // EPIPE when the helper died before reading: the exit status tells what happened.
    stdin.on('error', () => undefined);
    stdin.write(JSON.stringify(run.request) + '\n');

    const onAbort = () => {
      if (exit) return;
      aborted = true;
      for (const g of groups) killGroup(g, 'SIGTERM');
      killTimer = setTimeout(() => groups.forEach((g) => killGroup(g, 'SIGKILL')), KILL_GRACE_MS);
    };
    input.signal.addEventListener('abort', onAbort, { once: true });

    const handle = async (message: HelperMessage) => {
      if (message.type === 'kernel' && typeof message['pid'] === 'number') {
        groups.push(message['pid']);
        live.add(message['pid']);
      } else if (message.type === 'need') {
        try {
          // without a handler the helper still gets an answer, or it would wait forever
          const reply = run.onNeed ? await run.onNeed(message) : { paths: {}, errors: { '*': 'nothing can be provided here' } };
          stdin.write(JSON.stringify(reply) + '\n');
        } catch (e) {
          failure = e instanceof TaskFailure ? e : new TaskFailure(e instanceof Error ? e.message : String(e));
          killGroup(pid!, 'SIGKILL');
        }
      } else if (message.type === 'result') {
        result = message;
        stdin.end();
      }
    };
    let buffered = '';
    channel.setEncoding('utf8');
    channel.on('data', (text: string) => {
      buffered += text;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (!line.trim()) continue;
        try {
          void handle(JSON.parse(line) as HelperMessage);
        } catch {
          input.output.stderr(`runnable: unreadable message from ${run.script}: ${line.slice(0, 200)}\n`);
        }
      }
    });

    const settle = () => {
      if (settled) return;
      settled = true;
      clearTimeout(killTimer);
      clearTimeout(drainTimer);
      input.signal.removeEventListener('abort', onAbort);
      for (const g of groups) {
        live.delete(g);
        // the helper shuts its kernel down; a kernel still there now is killed
        if (g !== pid && groupAlive(g)) killGroup(g, 'SIGKILL');
      }
      if (aborted) return reject(new TaskFailure(abortMessage(input.signal)));
      if (failure) return reject(failure);
      if (result) return resolve(result);
      const how = !exit ? 'ended' : exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      reject(new TaskFailure(`the Python helper ${run.python} ${how} without a result`));
    };

    child.stdout!.on('data', (chunk: Buffer) => input.output.stdout(chunk));
    child.stderr!.on('data', (chunk: Buffer) => input.output.stderr(chunk));
    child.on('error', (e) => {
      lifeline.release();
      failure = new TaskFailure(`cannot run ${run.python}: ${e.message}`);
      settle();
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      lifeline.release();
      drainTimer = setTimeout(() => {
        child.stdout!.destroy();
        child.stderr!.destroy();
        channel.destroy();
        settle();
      }, DRAIN_GRACE_MS);
    });
    child.on('close', settle);
  });
}
