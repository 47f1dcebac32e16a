/**
 * `python` tasks: `package.module.function`, importable from the working directory, called in a
 * Python process of its own (the shipped shim, src/tasks/python/runnable_shim.py) with the
 * interpreter chosen by _python.ts. Binding, returns and failures follow AstraZeneca's
 * runnable (see the shim). json/metric values cross as JSON; `object` values cross as pickles:
 * the shim asks for the ones its function takes and pickles the ones it returns, which the
 * engine stores in the catalog as they are (ForeignObject).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TaskNode } from '../graph/model.js';
import { ForeignObject } from '../params/objects.js';
import { pythonForTasks, SHIM } from './_python.js';
import { inspectPython } from './_python_inspect.js';
import { runHelper, type HelperMessage } from './_python_process.js';
import { fileHash } from '../util/sha256.js';
import { TaskFailure, type ParamView, type TaskInput, type TaskKind, type TaskOutput } from './types.js';

export const pythonTask: TaskKind = {
  type: 'python',

  /** Only that a Python 3 is there: the module may live anywhere on its path, so importing is left to the run. */
  async check(_node: TaskNode, _cwd: string): Promise<void> {
    await pythonForTasks();
  },

  /** Each module found as `import` would find it and the function read from its source, running none of it (./_python_inspect.ts). */
  inspect: inspectPython,

  /** The module's file under the working directory ('' when it is installed elsewhere); every visible parameter. */
  async cacheIdentity(node, cwd, visible) {
    return { source: await moduleHash(node.command, cwd), receives: Object.keys(visible) };
  },
  sourceChanged: 'python module changed',

  async run(input: TaskInput): Promise<TaskOutput> {
    const python = await pythonForTasks();
    const dir = await mkdtemp(path.join(tmpdir(), 'runnable-py-'));
    try {
      const result = await runHelper({
        python: python.command,
        script: SHIM,
        request: {
          mode: 'call',
          command: input.node.command.trim(),
          params: describeParams(input.params),
          returns: input.node.returns,
          tmpdir: dir,
        },
        input,
        onNeed: (message) => writePickles(input.params, message, dir),
      });
      const consumed = Array.isArray(result['consumed']) ? (result['consumed'] as string[]) : [];
      if (!result['ok']) throw new TaskFailure(`${String(result['error'])}`, consumed);
      return { returns: await decodeValues(result['returns']), consumed };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

/** `pkg.module.function`: the hash of `pkg/module.py`, or of the package `pkg/module/__init__.py`. */
async function moduleHash(command: string, cwd: string): Promise<string> {
  const modulePath = command.trim().split('.').slice(0, -1).join('/');
  for (const candidate of [`${modulePath}.py`, `${modulePath}/__init__.py`]) {
    const h = await fileHash(path.resolve(cwd, candidate));
    if (h) return h;
  }
  return '';
}

/** json/metric parameters with their values; object parameters by kind and format only (loaded on demand). */
export function describeParams(params: ParamView): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of params.names()) {
    const p = params.get(name);
    if (!p || p.value === undefined) continue;
    if (p.kind === 'object') out[name] = { kind: 'object', format: String(p.value).endsWith('.pickle') ? 'pickle' : 'v8' };
    else out[name] = { kind: p.kind, value: p.value };
  }
  return out;
}

/** Answers the shim's `need`: each object parameter as a pickle file, or why it cannot be read. */
async function writePickles(params: ParamView, message: HelperMessage, dir: string): Promise<unknown> {
  const names = Array.isArray(message['names']) ? (message['names'] as string[]) : [];
  const paths: Record<string, string> = {};
  const errors: Record<string, string> = {};
  let i = 0;
  for (const name of names) {
    const value = await params.load(name);
    if (!(value instanceof ForeignObject) || value.format !== 'pickle') {
      errors[name] =
        `parameter '${name}' is an object written by a TypeScript task or notebook: ` +
        'Python can read only objects pickled by Python tasks and notebooks (return it with kind json to share it)';
      continue;
    }
    const file = path.join(dir, `param-${i++}.pickle`);
    await writeFile(file, value.bytes);
    paths[name] = file;
  }
  return { paths, errors };
}

/** `{name: {value} | {pickle: path}}` from the shim into values for the engine. */
export async function decodeValues(encoded: unknown): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [name, entry] of Object.entries((encoded ?? {}) as Record<string, { value?: unknown; pickle?: string }>)) {
    out[name] = entry.pickle !== undefined ? new ForeignObject('pickle', await readFile(entry.pickle)) : entry.value;
  }
  return out;
}
