/**
 * `runnable execute pipeline.ts`: a module whose default export is an SDK pipeline, or a
 * (possibly async) function returning one, loaded through the same tsx registration as task
 * modules (src/tasks/_module.ts). Every problem is an E_FILE RunnableError naming the file.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { RunnableError, type ErrorCode, type ErrorLocation } from '../errors.js';
import type { Graph, Pipeline as PipelineModel } from '../graph/model.js';
import { displayPath } from '../util/display-path.js';
import { loadModule } from '../tasks/_module.js';
import { describeValue, isPipeline } from './_brand.js';

const MODULE_FILE = /\.(?:ts|mts|js|mjs)$/;

/**
 * Whether `file` names a pipeline module (.ts/.mts/.js/.mjs) rather than a YAML file.
 * @example isPipelineModulePath('pipeline.ts') // true
 */
export function isPipelineModulePath(file: string): boolean {
  return MODULE_FILE.test(file);
}

/**
 * The pipeline a module default-exports (`file` relative to `cwd`), as a core model whose
 * function paths are relative to `cwd` and whose `source` is the module.
 * @example const p = await loadPipelineModule('pipeline.ts', process.cwd());
 */
export async function loadPipelineModule(file: string, cwd: string): Promise<PipelineModel> {
  const shown = displayPath(file, cwd);
  const where = { file: shown };
  const info = await stat(path.resolve(cwd, file)).catch(() => undefined);
  if (!info?.isFile()) throw new RunnableError('E_FILE', `cannot read pipeline: ${info ? 'not a file' : 'no such file'}`, where);
  let ns: Record<string, unknown>;
  try {
    ns = await loadModule(file, cwd);
  } catch (e) {
    // An error thrown while the module evaluated (pipeline() rejecting a step) arrives wrapped.
    const cause = (e as { cause?: unknown }).cause;
    if (asRunnable(cause, shown)) throw asRunnable(cause, shown);
    const message = e instanceof Error ? e.message : String(e);
    throw new RunnableError('E_FILE', `cannot load the pipeline module: ${message}`, where);
  }
  let value = defaultExport(ns);
  if (value === undefined) {
    const names = Object.keys(ns).filter((k) => k !== 'module.exports');
    throw new RunnableError(
      'E_FILE',
      `the module has no default export (exports: ${names.length ? names.sort().join(', ') : 'none'}): \`export default pipeline([...])\` or a function returning one`,
      where,
    );
  }
  let what = 'the default export is';
  if (typeof value === 'function') {
    what = `the default export (function${value.name ? ` '${value.name}'` : ''}) returned`;
    try {
      value = await (value as () => unknown)();
    } catch (e) {
      throw asRunnable(e, shown) ?? e;
    }
  }
  if (!isPipeline(value)) {
    throw new RunnableError(
      'E_FILE',
      `${what} ${describeValue(value)}, not a pipeline: \`export default pipeline([...])\` or a function returning one`,
      where,
    );
  }
  const sdk = value as unknown as { graph: Graph; graphFor?: (cwd: string) => Graph };
  const graph = typeof sdk.graphFor === 'function' ? sdk.graphFor(path.resolve(cwd)) : sdk.graph;
  return { graph, source: { kind: 'module', path: shown } };
}

function defaultExport(ns: Record<string, unknown>): unknown {
  // A TS file compiled as CommonJS arrives with module.exports as `default`.
  const cjs = ns.default as { __esModule?: unknown; default?: unknown } | undefined;
  return cjs !== null && typeof cjs === 'object' && cjs.__esModule === true ? cjs.default : ns.default;
}

/**
 * A RunnableError from any copy of the library (the user's module may import another instance
 * of it), as one of ours, with the module as its file.
 */
function asRunnable(e: unknown, file: string): RunnableError | undefined {
  if (!(e instanceof Error) || e.name !== 'RunnableError') return undefined;
  const { code, where } = e as Error & { code?: unknown; where?: ErrorLocation };
  if (typeof code !== 'string') return undefined;
  return new RunnableError(code as ErrorCode, e.message, { ...(where ?? {}), file: where?.file ?? file });
}
