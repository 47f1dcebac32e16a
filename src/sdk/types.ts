/**
 * The SDK's vocabulary: option objects the builders take and the (immutable) step descriptions
 * they return. A step only says what it does; `pipeline([...])` decides where it goes next.
 */
import type { CatalogSpec, CommandType, ReturnSpec } from '../graph/model.js';
import type { AnyFunction } from './locate.js';
import type { Pipeline } from './pipeline.js';
import type { Returned } from './returns.js';

/** Options every step but success/fail takes. */
export interface StepOptions {
  /**
   * Where to go when the step fails: the steps of this pipeline join the graph and the step's
   * `on_failure` points at its first step (default: the implicit `fail`).
   */
  onFailure?: Pipeline;
  /** the step ends the pipeline with success (its `next` is `success`); it must be the last of its list */
  terminateWithSuccess?: boolean;
  /** the step ends the pipeline with failure (its `next` is `fail`); it must be the last of its list */
  terminateWithFailure?: boolean;
  /** per-executor settings: executor type -> name of an entry in that executor's `overrides` */
  overrides?: Record<string, string>;
}

/** Files moved between the working directory and the run's catalog. */
export interface CatalogOptions {
  /** globs copied from the catalog into the working directory before the step */
  get?: readonly string[];
  /** globs copied into the catalog after the step succeeds */
  put?: readonly string[];
  /** false: record the hashes of `put` files without copying them (default true) */
  storeCopy?: boolean;
}

/** Options of task steps. */
export interface TaskOptions extends StepOptions {
  /** the step's name; for `task(fn)` it defaults to the function's name */
  name?: string;
  /** names (kind json) or `json()`/`object()`/`metric()` of the values the task returns */
  returns?: readonly Returned[];
  catalog?: CatalogOptions;
  /** attempts before the step fails (default 1) */
  maxAttempts?: number;
  /** seconds to wait before the second attempt (YAML `retry_delay_seconds`; default 0) */
  retryDelaySeconds?: number;
  /** each later wait is the previous one times this (YAML `retry_backoff_factor`; default 1) */
  retryBackoffFactor?: number;
  /** secrets exposed as env vars of this step only */
  secrets?: readonly string[];
  /**
   * true: skip the task when its code, input parameters and `get` files match an earlier
   * successful run, restoring its outputs; false: never (default: config `step-cache`)
   */
  cache?: boolean;
}

/** Options of task steps whose name cannot be derived. */
export interface NamedTaskOptions extends TaskOptions {
  name: string;
}

export interface NotebookOptions extends NamedTaskOptions {
  /** extra options for the notebook runner (runnable's `optional_ploomber_args`) */
  optionalPloomberArgs?: Record<string, unknown>;
}

/** How a step leaves: its traversal options, checked. */
export interface Traversal {
  readonly onFailure?: Pipeline;
  readonly terminate?: 'success' | 'fail';
  readonly overrides: Readonly<Record<string, string>>;
}

export interface TaskStep {
  readonly type: 'task';
  readonly name: string;
  readonly commandType: CommandType;
  /** the command, or for a typescript step the function, located when the pipeline is built */
  readonly command: string | AnyFunction;
  readonly returns: readonly ReturnSpec[];
  readonly catalog?: Readonly<CatalogSpec>;
  readonly maxAttempts: number;
  readonly retryDelaySeconds?: number;
  readonly retryBackoffFactor?: number;
  readonly secrets: readonly string[];
  readonly cache?: boolean;
  readonly options: Readonly<Record<string, unknown>>;
  readonly traversal: Traversal;
}

export interface StubStep {
  readonly type: 'stub';
  readonly name: string;
  readonly traversal: Traversal;
}

export interface SuccessStep {
  readonly type: 'success';
  readonly name: string;
}

export interface FailStep {
  readonly type: 'fail';
  readonly name: string;
}

export type TerminalStep = SuccessStep | FailStep;

export interface ParallelStep {
  readonly type: 'parallel';
  readonly name: string;
  readonly branches: Readonly<Record<string, Pipeline>>;
  readonly traversal: Traversal;
}

export interface MapStep {
  readonly type: 'map';
  readonly name: string;
  readonly branch: Pipeline;
  readonly iterateOn: string;
  readonly iterateAs: string;
  /** `PATH:EXPORT` (or a Python lambda/dotted name), or a function located when the pipeline is built */
  readonly reducer?: string | AnyFunction;
  readonly traversal: Traversal;
}

export interface ConditionalStep {
  readonly type: 'conditional';
  readonly name: string;
  readonly parameter: string;
  readonly branches: Readonly<Record<string, Pipeline>>;
  readonly default?: Pipeline;
  readonly traversal: Traversal;
}

export interface LoopStep {
  readonly type: 'loop';
  readonly name: string;
  readonly branch: Pipeline;
  readonly maxIterations: number;
  readonly breakOn: string;
  readonly indexAs: string;
  readonly traversal: Traversal;
}

/** What the builders return; pass steps to `pipeline([...])`, which runs them in list order. */
export type Step = TaskStep | StubStep | SuccessStep | FailStep | ParallelStep | MapStep | ConditionalStep | LoopStep;
