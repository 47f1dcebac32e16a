/** Pipeline executors: where and how the steps of a run execute. */
import type { Pipeline } from '../graph/model.js';
import type { RunLogStore, Status } from '../runlog/types.js';
import type { RunContext } from '../engine/context.js';

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
   * This executor set to hand the run over and return at once (`--detach`): the run goes on
   * elsewhere. Absent: the executor cannot (the run lives in this process).
   */
  detached?(): PipelineExecutor;
}
