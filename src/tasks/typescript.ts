/**
 * `typescript` tasks: an exported function of a TS/JS module, called in process with its
 * parameters bound by name (SPEC §3), inside a task context that captures its output and shows
 * it its env vars. After the first call of a command, the per-call path is a cached export, a
 * cached signature, one AsyncLocalStorage run and the return mapping.
 */
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import type { ReturnSpec, TaskNode } from '../graph/model.js';
import { RunnableError } from '../errors.js';
import { abortMessage } from './_abort.js';
import { bindArguments, boundNames, signatureOf } from './_bind.js';
import { runInTaskContext, TaskExit } from './_capture.js';
import { checkCommand, loadExport, parseCommand } from './_module.js';
import { sha256 } from '../util/sha256.js';
import type { Parameters } from '../runlog/types.js';
import { TaskFailure, type CacheIdentity, type Inspection, type TaskInput, type TaskKind, type TaskOutput } from './types.js';

export const typescriptTask: TaskKind = {
  type: 'typescript',

  async check(node: TaskNode, cwd: string): Promise<void> {
    await checkCommand(node.command, cwd);
  },

  /**
   * Each function loaded exactly as `run` loads it (its module evaluated once, as the run would
   * anyway, and kept for it; nothing called), and the parameters its signature takes with no
   * default, read as `run` binds them.
   */
  async inspect(nodes, cwd) {
    const out: Inspection[] = [];
    for (const node of nodes) {
      try {
        const fn = await loadFunction(node.command, cwd);
        const label = labelOf(node.command, fn);
        const sig = signatureOf(fn, label, await originalSource(node.command, cwd));
        out.push({ label, requires: sig.slots.filter((s) => !s.optional).map((s) => s.name) });
      } catch (e) {
        if (!(e instanceof RunnableError)) throw e;
        out.push(loadFailure(e));
      }
    }
    return out;
  },

  async run(input: TaskInput): Promise<TaskOutput> {
    const { node } = input;
    if (input.signal.aborted) throw new TaskFailure(abortMessage(input.signal));
    const fn = await loadFunction(node.command, input.cwd);
    const label = labelOf(node.command, fn);
    const { args, consumed } = await bindArguments(fn, input.params, label, await originalSource(node.command, input.cwd));
    let value: unknown;
    let exited: TaskExit | undefined;
    const onExit = (code: TaskExit['code']) => void (exited ??= new TaskExit(code));
    try {
      const result = runInTaskContext({ env: input.env, output: input.output, onExit }, () => fn(...args));
      value = isThenable(result) ? await untilAborted(result, input.signal) : result;
    } catch (e) {
      if (e === ABORTED) throw new TaskFailure(abortMessage(input.signal), consumed);
      if (exited || e instanceof TaskExit) throw new TaskFailure(exitMessage(exited ?? (e as TaskExit), label), consumed);
      input.output.stderr(describeThrown(e) + '\n');
      throw new TaskFailure(summary(e), consumed);
    }
    if (exited) throw new TaskFailure(exitMessage(exited, label), consumed);
    try {
      const warnings: string[] = [];
      const returns = mapReturns(value, node.returns, label, (w) => warnings.push(w));
      for (const w of warnings) input.output.stderr(`runnable: warning: ${w}\n`);
      return warnings.length ? { returns, consumed, warnings } : { returns, consumed };
    } catch (e) {
      throw e instanceof TaskFailure ? new TaskFailure(e.message, consumed) : e;
    }
  },

  /** The function's source text, and the parameters its signature binds (as `run` binds them). */
  async cacheIdentity(node, cwd, visible) {
    const fn = await loadFunction(node.command, cwd);
    return functionIdentity(fn, labelOf(node.command, fn), visible, await originalSource(node.command, cwd));
  },
  sourceChanged: 'function source changed',
};

/**
 * Why a function did not load, as an inspection. With no cause (no such file or export, not a
 * function) or one in the source itself (it does not compile or link), the step will fail. An
 * import not found (`ERR_MODULE_NOT_FOUND`) may be there where steps run (an image). Top-level
 * code that threw may depend on what earlier steps do: the step loads the module again, so that
 * is only a warning.
 */
function loadFailure(e: RunnableError): Inspection {
  const cause = (e as { cause?: unknown }).cause as { name?: unknown; code?: unknown } | undefined;
  if (cause === undefined || cause.name === 'TransformError' || cause.name === 'SyntaxError') return { problem: e };
  if (typeof cause.code === 'string' && cause.code.startsWith('ERR_')) return { problem: e, environmental: true };
  return { warning: new RunnableError(e.code, `${e.message} (its top-level code threw; the step loads it again when it runs)`, e.where) };
}

const sourceHashes = new WeakMap<Function, string>();

/** The cache identity of a function called with its parameters bound by name (a typescript task, a mocked executor's function patch). */
export function functionIdentity(fn: Function, label: string, visible: Parameters, original?: string): CacheIdentity {
  let source = sourceHashes.get(fn);
  if (source === undefined) sourceHashes.set(fn, (source = sha256(Function.prototype.toString.call(fn))));
  const receives = boundNames(signatureOf(fn, label, original), () => Object.keys(visible), (name) => visible[name] !== undefined);
  return { source, receives };
}

const sources = new Map<string, Promise<string | undefined>>();

/** The TypeScript module as written (esbuild may rename parameters in the code that runs). */
function originalSource(command: string, cwd: string): Promise<string | undefined> {
  const { file } = parseCommand(command);
  if (!/\.m?ts$/.test(file)) return Promise.resolve(undefined);
  const full = path.resolve(cwd, file);
  let text = sources.get(full);
  if (!text) sources.set(full, (text = readFile(full, 'utf8').catch(() => undefined)));
  return text;
}

/** The command's export, which must be a function. */
export async function loadFunction(command: string, cwd: string): Promise<(...args: unknown[]) => unknown> {
  const value = await loadExport(command, cwd);
  if (typeof value !== 'function') {
    const { file, exportName } = parseCommand(command);
    const what =
      value === null || value === undefined ? String(value) : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw new RunnableError('E_COMMAND', `export '${exportName}' of module ${file} is ${what}, not a function`, {
      field: 'command',
    });
  }
  return value as (...args: unknown[]) => unknown;
}

/**
 * SPEC §3: one name takes the whole value; several take an array positionally or an object by
 * key. `undefined` counts as missing: it cannot be stored as a parameter. More values than
 * names: an array's are an error (positions would be misread, as a Python task's tuple of
 * another length is); an object's other keys are left out, said through `warn`.
 */
export function mapReturns(value: unknown, specs: readonly ReturnSpec[], label: string, warn?: (message: string) => void): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (specs.length === 0) return out;
  if (specs.length === 1) {
    const name = specs[0]!.name;
    if (value === undefined) throw new TaskFailure(`${label} returned nothing, but returns declares '${name}'`);
    out[name] = value;
    return out;
  }
  const names = specs.map((s) => s.name);
  let pick: (name: string, i: number) => unknown;
  if (Array.isArray(value)) {
    if (value.length > names.length) {
      throw new TaskFailure(`${label} returned ${value.length} values, but returns declares ${names.length} (${names.join(', ')}): return one value per name, or declare them all`);
    }
    pick = (_, i) => value[i];
  } else if (value !== null && typeof value === 'object') {
    pick = (name) => (Object.hasOwn(value, name) ? (value as Record<string, unknown>)[name] : undefined);
    const extra = Object.keys(value).filter((k) => !names.includes(k));
    if (extra.length && warn) warn(`${label} returned ${extra.map((k) => `'${k}'`).join(', ')}, not in returns (${names.join(', ')}): left out`);
  } else {
    const got = value === undefined ? 'nothing' : value === null ? 'null' : `a ${typeof value}`;
    throw new TaskFailure(`${label} returned ${got}, but returns declares ${names.join(', ')}: return an array or an object`);
  }
  const missing: string[] = [];
  names.forEach((name, i) => {
    const v = pick(name, i);
    if (v === undefined) missing.push(name);
    else out[name] = v;
  });
  if (missing.length) {
    const how = Array.isArray(value) ? `its array has ${value.length} item(s)` : 'its object lacks them';
    throw new TaskFailure(`${label} did not return ${missing.map((n) => `'${n}'`).join(', ')} (${how})`);
  }
  return out;
}

const labels = new WeakMap<Function, string>();
function labelOf(command: string, fn: Function): string {
  let label = labels.get(fn);
  if (!label) {
    const { exportName } = parseCommand(command);
    label = `function '${exportName === 'default' && fn.name ? fn.name : exportName}'`;
    labels.set(fn, label);
  }
  return label;
}

/** A TS step runs in the runner's process: its process.exit() fails the step rather than end the run. */
function exitMessage(exit: TaskExit, label: string): string {
  const code = exit.code ?? 0;
  return `${label} called process.exit(${code}): a typescript step runs inside the runner's process, so the step fails instead; throw an Error to fail a step, return to end it`;
}

/** `<Name>: <message>`, the one line a failed attempt records. */
function summary(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return `thrown: ${describeThrown(e)}`;
}

function describeThrown(e: unknown): string {
  if (e instanceof Error) return e.stack ?? `${e.name}: ${e.message}`;
  try {
    return typeof e === 'string' ? e : JSON.stringify(e) ?? String(e);
  } catch {
    return String(e);
  }
}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';

const ABORTED = Symbol('aborted');

/**
 * An in-process function cannot be killed: on abort the task fails at once and the function's
 * promise is left to settle on its own (its result is ignored).
 */
function untilAborted<T>(promise: PromiseLike<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(ABORTED);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(ABORTED);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
