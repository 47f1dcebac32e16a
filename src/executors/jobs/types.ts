/** Job executors (config section `job-executor`): where and how a job's single task runs. */
import type { Job } from '../../graph/model.js';
import type { RunLogStore, Status } from '../../runlog/types.js';
import type { RunContext } from '../../engine/context.js';

export interface JobExecutor {
  readonly type: string;
  /** true when this process is the only writer of the run log while the job runs */
  readonly exclusive: boolean;
  /** What this executor cannot run, found before the run exists: throws a RunnableError (exit 2). */
  check?(job: Job, store: RunLogStore): void;
  /**
   * Runs (or hands over) the job's task and records the run log's `job` section (SPEC §5);
   * `rc.pipeline` is the job as a one-step graph. Returns the job's status.
   */
  execute(rc: RunContext, job: Job): Promise<Status>;
}
