/** Pipeline executors: where and how the steps of a run execute. */
import type { Pipeline } from '../graph/model.js';
import type { CatalogStore } from '../catalog/types.js';
import type { LoadedConfig } from '../config/load-config.js';
import type { Parameters, RunLogStore, Status } from '../runlog/types.js';
import type { RunContext } from '../engine/context.js';
import type { RunnableError } from '../errors.js';

export interface PipelineExecutor {
  readonly type: string;
  /**
   * true when this process is the only writer of the run log while the run lasts (everything
   * runs in process), which lets the engine cache run-log records
   */
  readonly exclusive: boolean;
  /** Runs (or, for engines like Argo, hands over) the whole pipeline; returns its status. */
  execute(rc: RunContext): Promise<Status>;
  /**
   * The pipeline as this executor will run it, for the checks made before a run exists (a
   * mocked run checks the patches' commands, not those of the tasks it skips). Throws a
   * RunnableError (E_CONFIG, exit 2) when the executor's config does not fit the pipeline or
   * the run-log store. Absent: the pipeline as it is.
   */
  pipelineToCheck?(pipeline: Pipeline, store: RunLogStore): Pipeline;
  /**
   * What only the world outside can tell before a run (`execute`, `validate -c`): e.g. that the
   * images the steps name exist or can be pulled. Each problem one RunnableError (exit 2, nothing
   * run); `configFile` names the config in them. Absent: nothing to ask.
   */
  preflight?(pipeline: Pipeline, configFile?: string): Promise<RunnableError[]>;
  /**
   * This executor set to hand the run over and return at once (`--detach`): the run goes on
   * elsewhere. Absent: the executor cannot (the run lives in this process).
   */
  detached?(): PipelineExecutor;
  /**
   * Executors that run nothing here but hand the whole pipeline to another engine (argo: write a
   * Workflow manifest). Called instead of `execute`, before any run log exists: the engine's
   * first step creates the run. Absent: the executor runs the pipeline (`execute`).
   */
  handOff?(run: HandOffInput): Promise<HandOff>;
  /**
   * `runnable validate -c`: checks what `handOff` would write, strictly, without writing it;
   * returns a line for the user. Throws a RunnableError (exit 2) when it is not valid.
   */
  checkHandOff?(run: HandOffInput): string;
}

/** What an executor that hands a pipeline over is given: the checked pipeline, its parameters and services. */
export interface HandOffInput {
  pipeline: Pipeline;
  parameters: Parameters;
  /** the run id the hand-over suggests (the engine takes its own at submission) */
  runId: string;
  tag: string;
  cwd: string;
  config: LoadedConfig;
  store: RunLogStore;
  catalog: CatalogStore;
  parametersFile?: string;
}

export interface HandOff {
  /** what was written (the manifest) */
  file: string;
  /** what to do next, shown to the user: how to submit it */
  message: string;
}
