/**
 * `runnable execute pipeline.ts` (and `execute-job job.ts`): a module whose default export is an
 * SDK pipeline (a job), or a (possibly async) function returning one, recognised by its brand
 * (graph/brands.ts) so that this loader needs nothing of the SDK, loaded through the same tsx registration as task
 * modules (src/tasks/_module.ts). Every problem is an E_FILE RunnableError naming the file.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { RunnableError, type ErrorCode, type ErrorLocation } from '../errors.js';
import type { Job as JobModel, Pipeline as PipelineModel } from '../graph/model.js';
import { displayPath } from '../util/display-path.js';
import { loadModule } from '../tasks/index.js';
import { describeValue, isBrandedJob as isJob, isBrandedPipeline as isPipeline } from '../graph/brands.js';

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
  const usage = '`export default pipeline([...])` or a function returning one';
  const { value, what, where } = await importDefault(file, cwd, 'pipeline', usage, isPipeline);
  if (!isPipeline(value)) throw new RunnableError('E_FILE', `${what} ${describeValue(value)}, not a pipeline: ${usage}`, where);
  const graph = typeof value.graphFor === 'function' ? value.graphFor(path.resolve(cwd)) : value.graph;
  return { graph, source: { kind: 'module', path: where.file } };
}

/**
 * The job a module default-exports (or a function returning one), `file` relative to `cwd`, as a
 * core model job whose function path is relative to `cwd`. Problems are E_FILE errors naming it.
 * @example const j = await loadJobModule('jobs/train.ts', process.cwd());
 */
export async function loadJobModule(file: string, cwd: string): Promise<JobModel> {
  const usage = '`export default job(...)` or a function returning one';
  const { value, what, where } = await importDefault(file, cwd, 'job', usage, isJob);
  if (!isJob(value)) {
    const hint = describeValue(value) === 'a pipeline' ? ` (run a pipeline with 'runnable execute')` : '';
    throw new RunnableError('E_FILE', `${what} ${describeValue(value)}, not a job: ${usage}${hint}`, where);
  }
  return { task: value.taskFor(cwd), source: { kind: 'module', path: where.file } };
}

/**
 * The default export of a module, called when it is a function (that is not itself what is
 * wanted, `isIt`); `what` says which, for the message of a wrong value.
 */
async function importDefault(file: string, cwd: string, kind: 'pipeline' | 'job', usage: string, isIt: (v: unknown) => boolean): Promise<{ value: unknown; what: string; where: { file: string } }> {
  const shown = displayPath(file, cwd);
  const where = { file: shown };
  const info = await stat(path.resolve(cwd, file)).catch(() => undefined);
  if (!info?.isFile()) throw new RunnableError('E_FILE', `cannot read ${kind}: ${info ? 'not a file' : 'no such file'}`, where);
  let ns: Record<string, unknown>;
  try {
    ns = await loadModule(file, cwd);
  } catch (e) {
    // An error thrown while the module evaluated (pipeline() rejecting a step) arrives wrapped.
    const cause = asRunnable((e as { cause?: unknown }).cause, shown);
    if (cause) throw cause;
    const message = e instanceof Error ? e.message : String(e);
    throw new RunnableError('E_FILE', `cannot load the ${kind} module: ${message}`, where);
  }
  let value = defaultExport(ns);
  if (value === undefined) {
    const names = Object.keys(ns).filter((k) => k !== 'module.exports');
    const exports = kind === 'pipeline' ? ` (exports: ${names.length ? names.sort().join(', ') : 'none'})` : '';
    throw new RunnableError('E_FILE', `the module has no default export${exports}: ${usage}`, where);
  }
  let what = 'the default export is';
  if (typeof value === 'function' && !isIt(value)) {
    what = `the default export (function${value.name ? ` '${value.name}'` : ''}) returned`;
    try {
      value = await (value as () => unknown)();
    } catch (e) {
      throw asRunnable(e, shown) ?? e;
    }
  }
  return { value, what, where };
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
