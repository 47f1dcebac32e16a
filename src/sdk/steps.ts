/**
 * Leaf step builders: tasks of each command type, stub, success and fail. Each checks its
 * arguments at once and returns a frozen step description.
 */
import type { CommandType } from '../graph/model.js';
import { commandProblem } from '../graph/command.js';
import { branded } from './_brand.js';
import { checkAtLeast, checkName, checkPositiveInt, checkStrings, schemaError } from './_checks.js';
import { catalogOf, checkKeys, STEP_OPTION_KEYS, TASK_OPTION_KEYS, traversalOf } from './_options.js';
import type { AnyFunction } from './locate.js';
import { normaliseReturns } from './returns.js';
import type { FailStep, NamedTaskOptions, NotebookOptions, StepOptions, StubStep, SuccessStep, TaskOptions, TaskStep } from './types.js';

/**
 * A step that calls a TypeScript/JavaScript function, in process, with its parameters bound by
 * name. The function must be exported by its module (named or default export): the pipeline
 * records it as `path/to/module.ts:exportName` so that any process can load it again.
 * @example
 * import { prepare } from './functions.ts';
 * const step = task(prepare, { returns: ['rows'] });
 */
export function task(fn: AnyFunction, opts: TaskOptions = {}): TaskStep {
  const given = checkKeys(opts, TASK_OPTION_KEYS, undefined);
  if (typeof fn !== 'function') {
    throw schemaError(`task() takes an exported function, got ${typeof fn}; for a command string use shell(), notebook() or python()`, opts.name);
  }
  if (given.name === undefined && !fn.name) {
    throw schemaError('an anonymous function needs a step name: task(fn, { name: ... })', undefined, 'name');
  }
  return taskStep('typescript', fn, given.name ?? fn.name, opts);
}

/**
 * A step running a shell command (`bash -c`); every parameter is an env var, and `returns`
 * names env vars the command exports.
 * @example shell('export total=$((a + b))', { name: 'add', returns: ['total'] })
 */
export function shell(command: string, opts: NamedTaskOptions): TaskStep {
  checkKeys(opts, TASK_OPTION_KEYS, undefined);
  const name = checkName(opts?.name, 'step name');
  if (typeof command !== 'string' || command.trim() === '') throw schemaError('shell() needs a command', name, 'command');
  return taskStep('shell', command, name, opts);
}

/**
 * A step executing a Jupyter notebook (path relative to the working directory).
 * @example notebook('notebooks/explore.ipynb', { name: 'explore', returns: ['summary'] })
 */
export function notebook(path: string, opts: NotebookOptions): TaskStep {
  checkKeys(opts, [...TASK_OPTION_KEYS, 'optionalPloomberArgs'], undefined);
  const name = checkName(opts?.name, 'step name');
  const step = taskStep('notebook', path, name, opts);
  if (opts.optionalPloomberArgs === undefined) return step;
  const args = opts.optionalPloomberArgs as unknown;
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw schemaError('optionalPloomberArgs must be an object', name, 'optionalPloomberArgs');
  }
  return branded({ ...step, options: Object.freeze({ optional_ploomber_args: { ...args } }) });
}

/**
 * A step calling a Python function `package.module.function`, importable from the working
 * directory.
 * @example python('examples.common.functions.hello', { name: 'hello' })
 */
export function python(target: string, opts: NamedTaskOptions): TaskStep {
  checkKeys(opts, TASK_OPTION_KEYS, undefined);
  const name = checkName(opts?.name, 'step name');
  return taskStep('python', target, name, opts);
}

/**
 * A step that does nothing and succeeds: a placeholder while designing.
 * @example stub('train later')
 */
export function stub(name: string, opts: StepOptions = {}): StubStep {
  checkKeys(opts, STEP_OPTION_KEYS, typeof name === 'string' ? name : undefined);
  const checked = checkStepName(name, 'stub');
  return branded({ type: 'stub', name: checked, traversal: traversalOf(opts, checked) });
}

/**
 * A success node: reaching it ends the pipeline (or branch) with success. Every pipeline has an
 * implicit one named `success`; put one last in a list to end there under another name.
 * @example pipeline([task(check), success('done')])
 */
export function success(name = 'success'): SuccessStep {
  return branded({ type: 'success', name: checkStepName(name, 'success') });
}

/**
 * A fail node: reaching it ends the pipeline (or branch) with failure.
 * @example pipeline([task(alert), fail()])
 */
export function fail(name = 'fail'): FailStep {
  return branded({ type: 'fail', name: checkStepName(name, 'fail') });
}

/** A step name, which must not be a reserved terminal name unless the step is that terminal. */
export function checkStepName(name: unknown, type: string): string {
  const checked = checkName(name, 'step name');
  if ((checked === 'success' || checked === 'fail') && type !== checked) {
    throw schemaError(`the step named '${checked}' is the ${checked} node: its type must be ${checked}`, checked, 'name');
  }
  return checked;
}

function checkBoolean(value: unknown, step: string, field: string): boolean {
  if (typeof value !== 'boolean') throw schemaError(`${field} must be true or false`, step, field);
  return value;
}

/** As the YAML loader keeps them: absent when they change nothing (0 s, factor 1), so twins share a dag_hash. */
function retrySettings(opts: TaskOptions, name: string): { retryDelaySeconds?: number; retryBackoffFactor?: number } {
  const delay = opts.retryDelaySeconds === undefined ? 0 : checkAtLeast(opts.retryDelaySeconds, 0, name, 'retryDelaySeconds');
  const factor = opts.retryBackoffFactor === undefined ? 1 : checkAtLeast(opts.retryBackoffFactor, 1, name, 'retryBackoffFactor');
  return { ...(delay ? { retryDelaySeconds: delay } : {}), ...(factor !== 1 ? { retryBackoffFactor: factor } : {}) };
}

function taskStep(commandType: CommandType, command: string | AnyFunction, rawName: unknown, opts: TaskOptions): TaskStep {
  const name = checkStepName(rawName, 'task');
  if (typeof command === 'string') {
    const problem = commandProblem(commandType, command);
    if (problem) throw schemaError(`${problem} (command_type ${commandType})`, name, 'command');
  }
  const step: TaskStep = {
    type: 'task',
    name,
    commandType,
    command,
    returns: Object.freeze(normaliseReturns(opts.returns, commandType, name)),
    maxAttempts: opts.maxAttempts === undefined ? 1 : checkPositiveInt(opts.maxAttempts, name, 'maxAttempts'),
    // as the YAML loader keeps them: absent when they change nothing, so twins share a dag_hash
    ...retrySettings(opts, name),
    secrets: Object.freeze(checkStrings(opts.secrets, name, 'secrets')),
    ...(opts.cache !== undefined ? { cache: checkBoolean(opts.cache, name, 'cache') } : {}),
    options: Object.freeze({}),
    traversal: traversalOf(opts, name),
  };
  const catalog = catalogOf(opts.catalog, name);
  return branded(catalog ? { ...step, catalog } : step);
}
