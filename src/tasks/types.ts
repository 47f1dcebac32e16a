/** Task kinds: how one `command_type` runs a command with parameters in and returns out. */
import type { CommandType, TaskNode } from '../graph/model.js';
import type { RunnableError } from '../errors.js';
import type { Parameter, Parameters } from '../runlog/types.js';

/** The parameters a task can see: its branch's over its parent's, lazily loaded. */
export interface ParamView {
  names(): string[];
  /**
   * the names the step's own scope holds (its branch's parameters, or the run's at the top
   * level); the rest come from enclosing scopes, which the run log already holds once
   */
  ownNames(): string[];
  /** the stored form `{kind, value}` */
  get(name: string): Parameter | undefined;
  /** the value itself; `object` parameters are read back from the catalog */
  load(name: string): Promise<unknown>;
}

/** Where a task's stdout/stderr go: shown live, kept for the catalog log file, tail kept for messages. */
export interface OutputSink {
  stdout(chunk: string | Uint8Array): void;
  stderr(chunk: string | Uint8Array): void;
}

export interface TaskInput {
  node: TaskNode;
  params: ParamView;
  /** extra env vars for this task only: secrets, RUNNABLE_RUN_ID, RUNNABLE_STEP_ATTEMPT, RUNNABLE_MAP_VARIABLE, loop index */
  env: Record<string, string>;
  cwd: string;
  output: OutputSink;
  signal: AbortSignal;
  /** the step's resolved internal name (`map_state.1.execute_notebook`): unique per step and iteration */
  internalName?: string;
  /** writes a file into the run's catalog at a catalog-relative path (e.g. an executed notebook) */
  saveToCatalog?(relPath: string, data: Uint8Array | string): Promise<void>;
}

export interface TaskOutput {
  /** one value per `node.returns` name */
  returns: Record<string, unknown>;
  /** names of the parameters the task received (recorded as the attempt's input_parameters) */
  consumed: string[];
  /** what the step should know though it succeeded (already in its output): the attempt's message */
  warnings?: string[];
}

/** Thrown by a task for an expected failure (non-zero exit, a throwing function, a missing parameter). */
export class TaskFailure extends Error {
  override readonly name = 'TaskFailure';
  constructor(
    message: string,
    /** the parameters the task had received when it failed, if it got that far */
    readonly consumed?: string[],
  ) {
    super(message);
  }
}

/** What a task's result depends on, as its kind sees it (the step cache adds the command, the declared outputs and the `get` files). */
export interface CacheIdentity {
  /** sha256 of the code behind the command (a function's source, a notebook's or Python module's file); '' when the command text is all the code */
  source: string;
  /** the visible parameters the task would receive, so that only those are part of its cache key */
  receives: string[];
}

/** What `TaskKind.inspect` found out about one task's command. */
export interface Inspection {
  /** what will make the step fail */
  problem?: RunnableError;
  /**
   * the problem depends on this machine (a module whose import threw, a Python module not
   * found): where steps run in processes of their own (a container, a Slurm job), it may not hold
   */
  environmental?: boolean;
  /** what could not be made sure of */
  warning?: RunnableError;
  /** what the command is, for messages: `function 'train'` */
  label?: string;
  /** the parameters the command takes by name with no default; absent: the kind cannot tell */
  requires?: string[];
}

export interface TaskKind {
  readonly type: CommandType;
  /** checks a command before anything runs (e.g. that a module path exists); throws RunnableError */
  check?(node: TaskNode, cwd: string): Promise<void>;
  /**
   * Looks further than `check`, still running no step (`runnable validate`, and `execute` before
   * a run): finds the command's code as a run would and reads what it takes. Given every task of
   * this kind at once, whose `check` passed (a kind that needs a process, Python, starts one for
   * all); answers one Inspection per task, in order.
   */
  inspect?(nodes: readonly TaskNode[], cwd: string): Promise<Inspection[]>;
  run(input: TaskInput): Promise<TaskOutput>;
  /**
   * The code identity the step cache keys this task on (not the run log's `code_identities`),
   * computed before it runs from what it would run and see (`visible`: its scope's parameters).
   * Throws when the code cannot be loaded; the cache then runs the step and records why.
   */
  cacheIdentity(node: TaskNode, cwd: string, visible: Parameters): Promise<CacheIdentity>;
  /** the cache's miss reason when `source` changed: "function source changed" */
  readonly sourceChanged: string;
}
