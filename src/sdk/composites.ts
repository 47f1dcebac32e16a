/**
 * Composite step builders: parallel, map, conditional and loop. Their branches are pipelines
 * built with `pipeline([...])`; the outer pipeline re-roots them under the step's internal name.
 */
import { branded, describeValue, isPipeline } from './_brand.js';
import { checkIdentifier, checkName, checkPositiveInt, schemaError } from './_checks.js';
import { checkKeys, STEP_OPTION_KEYS, traversalOf } from './_options.js';
import type { AnyFunction } from './locate.js';
import type { Pipeline } from './pipeline.js';
import { checkStepName } from './steps.js';
import type { ConditionalStep, LoopStep, MapStep, ParallelStep, StepOptions } from './types.js';

export interface MapSpec {
  /** the parameter holding the list to iterate on (strings or numbers: they name the branches) */
  iterateOn: string;
  /** the name of the item, a parameter inside the branch */
  iterateAs: string;
  /** the pipeline run for each item */
  branch: Pipeline;
  /**
   * reduces each returned parameter across iterations (called with the array of its values, in
   * iteration order): an exported function, or `PATH:EXPORT` (a Python lambda or dotted name
   * also works). Default: the array itself.
   */
  reducer?: AnyFunction | string;
}

export interface ConditionalSpec {
  /** the parameter whose value (compared as a string) picks the branch */
  parameter: string;
  /** the branch to run, by parameter value */
  branches: Record<string, Pipeline>;
  /** run when no branch matches */
  default?: Pipeline;
}

export interface LoopSpec {
  /** the pipeline run at each iteration */
  branch: Pipeline;
  /** the loop stops after this many iterations */
  maxIterations: number;
  /** the boolean parameter the branch returns; the loop stops when it is true */
  breakOn: string;
  /** the name of the 0-based iteration index, a parameter and an env var inside the branch */
  indexAs: string;
}

/**
 * Runs every branch (all of them, even when one fails); succeeds when all do. Parameters the
 * branches return are merged into the parent, the later branch winning.
 * @example parallel('train', { linear: pipeline([task(fitLinear)]), tree: pipeline([task(fitTree)]) })
 */
export function parallel(name: string, branches: Record<string, Pipeline>, opts: StepOptions = {}): ParallelStep {
  const step = start(name, opts);
  return branded({ type: 'parallel', name: step, branches: checkBranches(branches, step, 'branches'), traversal: traversalOf(opts, step) });
}

/**
 * Runs `branch` once per item of the list parameter `iterateOn`, the item named `iterateAs`.
 * @example map('per_chunk', { iterateOn: 'chunks', iterateAs: 'chunk', branch: pipeline([task(process)]), reducer: max })
 */
export function map(name: string, spec: MapSpec, opts: StepOptions = {}): MapStep {
  const step = start(name, opts);
  const s = checkSpec(spec, ['iterateOn', 'iterateAs', 'branch', 'reducer'], step);
  const out: MapStep = {
    type: 'map',
    name: step,
    branch: checkBranch(s.branch, step, 'branch'),
    iterateOn: checkIdentifier(s.iterateOn, step, 'iterateOn'),
    iterateAs: checkIdentifier(s.iterateAs, step, 'iterateAs'),
    traversal: traversalOf(opts, step),
  };
  const reducer = s.reducer;
  if (reducer === undefined) return branded(out);
  if (typeof reducer !== 'function' && (typeof reducer !== 'string' || reducer.trim() === '')) {
    throw schemaError(`reducer must be an exported function or 'PATH:EXPORT', got ${describeValue(reducer)}`, step, 'reducer');
  }
  return branded({ ...out, reducer: reducer as AnyFunction | string });
}

/**
 * Runs the branch whose key equals the value of `parameter` (compared as strings), else
 * `default` if given.
 * @example conditional('route', { parameter: 'toss', branches: { heads: pipeline([task(h)]) }, default: pipeline([task(t)]) })
 */
export function conditional(name: string, spec: ConditionalSpec, opts: StepOptions = {}): ConditionalStep {
  const step = start(name, opts);
  const s = checkSpec(spec, ['parameter', 'branches', 'default'], step);
  const branches = checkBranches(s.branches, step, 'branches');
  if ('default' in branches) throw schemaError(`branch name 'default' is reserved: use the 'default' option`, step, 'branches.default');
  const out: ConditionalStep = {
    type: 'conditional',
    name: step,
    parameter: checkIdentifier(s.parameter, step, 'parameter'),
    branches,
    traversal: traversalOf(opts, step),
  };
  return branded(s.default === undefined ? out : { ...out, default: checkBranch(s.default, step, 'default') });
}

/**
 * Runs `branch` again and again, until it returns `breakOn` true or after `maxIterations`;
 * each iteration starts from the parameters the previous one ended with.
 * @example loop('retry', { branch: pipeline([task(attempt, { returns: ['done'] })]), maxIterations: 5, breakOn: 'done', indexAs: 'i' })
 */
export function loop(name: string, spec: LoopSpec, opts: StepOptions = {}): LoopStep {
  const step = start(name, opts);
  const s = checkSpec(spec, ['branch', 'maxIterations', 'breakOn', 'indexAs'], step);
  return branded({
    type: 'loop',
    name: step,
    branch: checkBranch(s.branch, step, 'branch'),
    maxIterations: checkPositiveInt(s.maxIterations, step, 'maxIterations'),
    breakOn: checkIdentifier(s.breakOn, step, 'breakOn'),
    indexAs: checkIdentifier(s.indexAs, step, 'indexAs'),
    traversal: traversalOf(opts, step),
  });
}

function start(name: string, opts: StepOptions): string {
  const step = checkStepName(name, 'composite');
  checkKeys(opts, STEP_OPTION_KEYS, step);
  return step;
}

function checkSpec<T extends object>(spec: T, keys: readonly string[], step: string): Partial<Record<keyof T, unknown>> {
  if (typeof spec !== 'object' || spec === null) throw schemaError(`expected an object of ${keys.join(', ')}, got ${describeValue(spec)}`, step);
  return checkKeys(spec, keys, step) as Partial<Record<keyof T, unknown>>;
}

function checkBranch(branch: unknown, step: string, field: string): Pipeline {
  if (branch === undefined) throw schemaError(`missing required option '${field}'`, step, field);
  if (!isPipeline(branch)) throw schemaError(`${field} must be a pipeline([...]), got ${describeValue(branch)}`, step, field);
  return branch;
}

function checkBranches(branches: unknown, step: string, field: string): Readonly<Record<string, Pipeline>> {
  if (typeof branches !== 'object' || branches === null || Array.isArray(branches)) {
    throw schemaError(`${field} must be an object of pipelines by branch name, got ${describeValue(branches)}`, step, field);
  }
  const out: Record<string, Pipeline> = {};
  for (const [key, branch] of Object.entries(branches)) {
    checkName(key, 'branch name', step);
    out[key] = checkBranch(branch, step, `${field}.${key}`);
  }
  if (Object.keys(out).length === 0) throw schemaError('no branches defined', step, field);
  return Object.freeze(out);
}
