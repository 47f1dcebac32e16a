/** Pipeline executors: where and how the steps of a run execute. */
import type { Status } from '../runlog/types.js';
import type { RunContext } from './context.js';

export interface PipelineExecutor {
  readonly type: string;
  /**
   * true when this process is the only writer of the run log while the run lasts (everything
   * runs in process), which lets the engine cache run-log records
   */
  readonly exclusive: boolean;
  /** Runs (or, for engines like Argo, hands over) the whole pipeline; returns its status. */
  execute(rc: RunContext): Promise<Status>;
}
