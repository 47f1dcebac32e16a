/**
 * `notebook` tasks: an `.ipynb` executed with a real Jupyter kernel, the one its kernelspec
 * names (Python's ipykernel, Deno's TypeScript kernel, ...), by the shipped driver
 * (src/tasks/python/runnable_notebook.py, on nbclient) under the Python chosen by _python.ts.
 *
 * As in runnable: json/metric parameters are injected as a cell after the one tagged
 * `parameters` (objects are not injected); `returns` are read from the kernel's variables after
 * the last cell; the executed notebook goes into the catalog as
 * `<notebook folder>/<name>-<step>_out.ipynb`, the step being its internal name, so each step
 * and map/loop iteration keeps its own copy (also when a cell fails, to see where).
 */
import { createHash } from 'node:crypto';
import { capLength } from '../util/file-name.js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deserialize } from 'node:v8';
import type { TaskNode } from '../graph/model.js';
import { RunnableError } from '../errors.js';
import { ForeignObject } from '../params/objects.js';
import { kernelHint, NOTEBOOK_DRIVER, pythonForNotebooks } from './_python.js';
import { runHelper, type HelperMessage } from './_python_process.js';
import { fileHash } from '../util/sha256.js';
import { TaskFailure, type TaskInput, type TaskKind, type TaskOutput } from './types.js';

export const notebookTask: TaskKind = {
  type: 'notebook',

  /** The notebook is readable and its kernel can start: Python with Jupyter, the kernelspec, its program. */
  async check(node: TaskNode, cwd: string): Promise<void> {
    const { kernel, language } = await readKernelspec(node.command.trim(), cwd);
    const python = await pythonForNotebooks();
    const info = python.kernels[kernel.toLowerCase()];
    if (!info || !info.runnable) throw new RunnableError('E_COMMAND', kernelHint(kernel, language, python), { field: 'command' });
  },

  /** The notebook file's bytes; every visible parameter (the injected cell takes the json ones, the kernel may read any). */
  async cacheIdentity(node, cwd, visible) {
    return { source: await fileHash(path.resolve(cwd, node.command.trim())), receives: Object.keys(visible) };
  },
  sourceChanged: 'notebook file changed',

  async run(input: TaskInput): Promise<TaskOutput> {
    const command = input.node.command.trim();
    const python = await pythonForNotebooks();
    const dir = await mkdtemp(path.join(tmpdir(), 'runnable-nb-'));
    const executed = path.join(dir, 'executed.ipynb');
    try {
      let result: HelperMessage;
      try {
        result = await runHelper({
          python: python.command,
          script: NOTEBOOK_DRIVER,
          request: {
            notebook: path.resolve(input.cwd, command),
            cwd: input.cwd,
            parameters: jsonParameters(input),
            returns: input.node.returns,
            output: executed,
            tmpdir: dir,
          },
          input,
        });
      } finally {
        await saveExecuted(input, command, executed);
      }
      const consumed = Array.isArray(result['injected']) ? (result['injected'] as string[]) : [];
      if (!result['ok']) throw new TaskFailure(failureMessage(command, result), consumed);
      try {
        return { returns: await decodeReturns(result['returns'], input.node), consumed };
      } catch (e) {
        throw e instanceof TaskFailure ? new TaskFailure(e.message, consumed) : e;
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

/** The parameters a notebook receives: json and metric ones (runnable injects no objects). */
function jsonParameters(input: TaskInput): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of input.params.names()) {
    const p = input.params.get(name);
    if (p && p.kind !== 'object' && p.value !== undefined) out[name] = p.value;
  }
  return out;
}

/** runnable's name for the executed copy, `<folder>/<stem>-<tag>_out.ipynb`, tagged by internal name. */
export function executedNotebookName(command: string, internalName: string): string {
  const parsed = path.posix.parse(command.split(path.sep).join('/'));
  let tag = internalName.replace(/[^A-Za-z0-9_.-]/g, '_');
  // characters replaced: add a hash of the real name so two steps never share a file
  if (tag !== internalName) tag += `-${createHash('sha256').update(internalName).digest('hex').slice(0, 8)}`;
  // a long map item makes a long internal name: the file name must still fit (ENAMETOOLONG)
  tag = capLength(tag, internalName);
  const file = `${parsed.name}-${tag}_out.ipynb`;
  // the catalog confines paths: a notebook outside the working directory is kept at the top
  const folder = parsed.dir && !parsed.dir.startsWith('/') && !parsed.dir.split('/').includes('..') ? parsed.dir : '';
  return folder ? `${folder}/${file}` : file;
}

async function saveExecuted(input: TaskInput, command: string, executed: string): Promise<void> {
  if (!input.saveToCatalog) return;
  let bytes: Buffer;
  try {
    bytes = await readFile(executed);
  } catch {
    return; // the notebook did not get to run (unreadable, kernel missing, aborted early)
  }
  await input.saveToCatalog(executedNotebookName(command, input.internalName ?? input.node.internalName), bytes);
}

function failureMessage(command: string, result: HelperMessage): string {
  const cell = result['cell_error'] as { cell: string; ename: string; evalue: string } | undefined;
  if (cell) return `${cell.cell} of ${command} failed: ${cell.ename}${cell.evalue ? `: ${cell.evalue}` : ''}`;
  return `notebook ${command} did not run: ${String(result['error'])}`;
}

type Encoded = { value?: unknown; pickle?: string; v8?: string; missing?: boolean; error?: string };

async function decodeReturns(encoded: unknown, node: TaskNode): Promise<Record<string, unknown>> {
  const entries = (encoded ?? {}) as Record<string, Encoded>;
  const out: Record<string, unknown> = {};
  const missing: string[] = [];
  for (const { name } of node.returns) {
    const e = entries[name];
    if (!e || e.missing) missing.push(name);
    else if (e.error !== undefined) throw new TaskFailure(`returned '${name}' ${e.error}`);
    else if (e.pickle !== undefined) out[name] = new ForeignObject('pickle', await readFile(e.pickle));
    else if (e.v8 !== undefined) out[name] = deserialize(await readFile(e.v8));
    else out[name] = e.value;
  }
  if (missing.length) {
    const list = missing.map((n) => `'${n}'`).join(', ');
    throw new TaskFailure(`the notebook did not set ${list} declared in returns`);
  }
  return out;
}

/** The kernel a notebook asks for (python3 when it names none); E_COMMAND when it cannot be read. */
export async function readKernelspec(command: string, cwd: string): Promise<{ kernel: string; language: string }> {
  const file = path.resolve(cwd, command);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (e as Error).message;
    throw new RunnableError('E_COMMAND', `notebook ${command}: ${why} (paths are relative to ${cwd})`, { field: 'command' });
  }
  let nb: { metadata?: { kernelspec?: { name?: string; language?: string }; language_info?: { name?: string } } };
  try {
    nb = JSON.parse(text) as typeof nb;
  } catch (e) {
    throw new RunnableError('E_COMMAND', `notebook ${command} is not valid JSON: ${(e as Error).message}`, { field: 'command' });
  }
  const spec = nb.metadata?.kernelspec ?? {};
  return { kernel: spec.name || 'python3', language: spec.language ?? nb.metadata?.language_info?.name ?? '' };
}
