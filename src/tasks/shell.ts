/**
 * `shell` tasks: a script run with `bash -c`, parameters as env vars, `returns` read from the
 * script's exported env vars after it exits 0 (SPEC §3).
 *
 * User values never enter the script text. To read the script's final environment, a constant
 * EXIT trap is prepended that dumps `env -0` to a file whose path comes in through an env var.
 * The script runs in its own process group, so an abort stops everything it started.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isEnvControlName } from '../graph/rules.js';
import { inheritedEnv } from '../secrets/scope.js';
import type { Parameter } from '../runlog/types.js';
import { parseEnvValue, toEnvValue } from '../util/env-value.js';
import { abortMessage } from './_abort.js';
import { lifelineOf, tied } from '../util/lifeline.js';
import type { Readable } from 'node:stream';
import { TaskFailure, type TaskInput, type TaskKind, type TaskOutput } from './types.js';

const DUMP_VAR = '__RUNNABLE_ENV_DUMP';
/**
 * Constant text; the only variable part is the env var it reads. On the script's first line so
 * bash's error line numbers match the user's script. An EXIT trap that does not call `exit`
 * keeps the script's exit status, including an explicit `exit N`. `command -p` finds `env` on
 * the default PATH even if the script changed PATH.
 */
const DUMP_PREFIX = `trap 'command -p env -0 > "$${DUMP_VAR}"' EXIT; `;

/** How long an aborted script gets between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 5_000;
/**
 * How long to keep reading output after bash exits. A background process the script left
 * running holds the pipes open; waiting for it would hang the step.
 */
const DRAIN_GRACE_MS = 500;

export const shellTask: TaskKind = {
  type: 'shell',

  async run(input: TaskInput): Promise<TaskOutput> {
    if (input.signal.aborted) throw new TaskFailure(abortMessage(input.signal));
    const returns = input.node.returns.map((r) => r.name);
    const { env, consumed } = processEnv(input);
    const dumpFile = returns.length ? path.join(tmpdir(), `runnable-env-${process.pid}-${randomUUID()}`) : undefined;
    if (dumpFile) env[DUMP_VAR] = dumpFile;
    try {
      await runScript(dumpFile ? DUMP_PREFIX + input.node.command : input.node.command, env, input);
      if (!dumpFile) return { returns: {}, consumed };
      return { returns: await readReturns(dumpFile, returns), consumed };
    } catch (e) {
      throw e instanceof TaskFailure ? new TaskFailure(e.message, consumed) : e;
    } finally {
      if (dumpFile) await rm(dumpFile, { force: true });
    }
  },

  /** The command text is all the code; the script receives every parameter it gets as an env var. */
  async cacheIdentity(_node, _cwd, visible) {
    return { source: '', receives: Object.keys(visible).filter((name) => isEnvParameter(name, visible[name])) };
  },
  sourceChanged: 'command changed',
};

/**
 * Object parameters live in the catalog in a language-specific form; a script cannot use them.
 * A name like BASH_ENV or PATH is refused where parameters are named (graph/rules.ts); one that
 * still comes in (a run log written by hand or by an older version) is never exported.
 */
const isEnvParameter = (name: string, p: Parameter | undefined): p is Parameter =>
  !!p && p.kind !== 'object' && p.value !== undefined && !isEnvControlName(name);

/**
 * The user's env, then every parameter (strings as is, the rest as JSON), then the task's env.
 * `consumed` (the attempt's input_parameters) is what the step can be seen to read: the
 * parameters of its own scope, and those of enclosing scopes its command names. Recording every
 * parameter would copy a map's whole `iterate_on` list into each of its branches (a run log
 * growing as N², issue 13); the enclosing scope's values are in the run log once already.
 */
function processEnv(input: TaskInput): { env: NodeJS.ProcessEnv; consumed: string[] } {
  const env: NodeJS.ProcessEnv = inheritedEnv();
  const consumed: string[] = [];
  const own = new Set(input.params.ownNames());
  for (const name of input.params.names()) {
    const p = input.params.get(name);
    if (!isEnvParameter(name, p)) continue;
    env[name] = toEnvValue(p.value);
    if (own.has(name) || namesWord(input.node.command, name)) consumed.push(name);
  }
  Object.assign(env, input.env);
  return { env, consumed };
}

/** `name` appears in `text` as a whole word (`$name`, `${name}`, `printenv name`, `os.environ["name"]`) */
function namesWord(text: string, name: string): boolean {
  for (let at = text.indexOf(name); at !== -1; at = text.indexOf(name, at + 1)) {
    if (!isWordChar(text[at - 1]) && !isWordChar(text[at + name.length])) return true;
  }
  return false;
}

const isWordChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_]/.test(c);

/** Processes still running, killed if this process exits first (they are in their own groups). */
const live = new Set<number>();
let exitHookInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function runScript(script: string, env: NodeJS.ProcessEnv, input: TaskInput): Promise<void> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => live.forEach((pid) => killGroup(pid, 'SIGTERM')));
  }
  return new Promise<void>((resolve, reject) => {
    let child;
    const stdio = ['ignore', 'pipe', 'pipe'] as const;
    // tied: if this process dies (kill -9, SIGHUP), the script's process group is stopped too
    const run = tied('bash', ['-c', script], stdio);
    try {
      child = spawn(run.file, run.args, { cwd: input.cwd, env, detached: true, stdio: run.stdio });
    } catch (e) {
      // e.g. an env value with a NUL byte
      reject(new TaskFailure(`cannot start bash: ${e instanceof Error ? e.message : String(e)}`));
      return;
    }
    const pid = child.pid;
    if (pid !== undefined) live.add(pid);
    const lifeline = lifelineOf(child, stdio);
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    let drainTimer: NodeJS.Timeout | undefined;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let settled = false;

    const onAbort = () => {
      if (pid === undefined || exit) return;
      aborted = true;
      killGroup(pid, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(pid, 'SIGKILL'), KILL_GRACE_MS);
    };
    input.signal.addEventListener('abort', onAbort, { once: true });

    const settle = (failure?: TaskFailure) => {
      if (settled) return;
      settled = true;
      if (pid !== undefined) live.delete(pid);
      clearTimeout(killTimer);
      clearTimeout(drainTimer);
      input.signal.removeEventListener('abort', onAbort);
      if (failure) reject(failure);
      else resolve();
    };
    const finish = () => {
      if (aborted) return settle(new TaskFailure(abortMessage(input.signal)));
      if (!exit) return settle(new TaskFailure('bash ended without an exit status'));
      if (exit.signal) return settle(new TaskFailure(`killed by ${exit.signal}`));
      if (exit.code !== 0) return settle(new TaskFailure(`exit code ${exit.code}`));
      settle();
    };

    const { stdout, stderr } = child as { stdout: Readable; stderr: Readable };
    stdout.on('data', (chunk: Buffer) => input.output.stdout(chunk));
    stderr.on('data', (chunk: Buffer) => input.output.stderr(chunk));
    child.on('error', (e) => {
      lifeline.release();
      settle(new TaskFailure(`cannot run bash: ${e.message}`));
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      lifeline.release();
      drainTimer = setTimeout(() => {
        stdout.destroy();
        stderr.destroy();
        finish();
      }, DRAIN_GRACE_MS);
    });
    child.on('close', finish);
  });
}

async function readReturns(dumpFile: string, names: string[]): Promise<Record<string, unknown>> {
  let dump: Buffer;
  try {
    dump = await readFile(dumpFile);
  } catch {
    throw new TaskFailure(
      `cannot read the script's environment for returns ${names.join(', ')}: ` +
        `its EXIT trap did not run (does the script set its own 'trap ... EXIT' or 'exec' another program?)`,
    );
  }
  const vars = new Map<string, string>();
  for (const entry of dump.toString('utf8').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) vars.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  const out: Record<string, unknown> = {};
  const missing: string[] = [];
  for (const name of names) {
    const text = vars.get(name);
    if (text === undefined) missing.push(name);
    else out[name] = parseEnvValue(text);
  }
  if (missing.length) {
    const list = missing.map((n) => `'${n}'`).join(', ');
    throw new TaskFailure(`the script did not export ${list} declared in returns (set it with: export ${missing[0]}=...)`);
  }
  return out;
}
