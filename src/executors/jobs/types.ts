/** Job executors (config section `job-executor`): where and how a job's single task runs. */
import type { CatalogStore } from '../../catalog/types.js';
import type { Job } from '../../graph/model.js';
import type { RunLogStore, Status } from '../../runlog/types.js';
import type { RunContext } from '../../engine/context.js';

/** The run a job would start, before it exists: its id and the stores it would use. */
export interface JobPlace {
  runId: string;
  store: RunLogStore;
  catalog: CatalogStore;
}

export interface JobExecutor {
  readonly type: string;
  /** true when this process is the only writer of the run log while the job runs */
  readonly exclusive: boolean;
  /**
   * What this executor cannot run, found before the run exists: throws a RunnableError (exit 2).
   * `dryRun`: the job will only be shown (`--dry-run`), not submitted.
   */
  check?(job: Job, store: RunLogStore, catalog: CatalogStore, opts: { dryRun: boolean }): void | Promise<void>;
  /**
   * Runs (or hands over) the job's task and records the run log's `job` section (SPEC §5);
   * `rc.pipeline` is the job as a one-step graph. Returns the job's status.
   */
  execute(rc: RunContext, job: Job): Promise<Status>;
  /** What `execute-job --dry-run` prints: what the executor would submit (k8s-job: the manifest, YAML). */
  dryRun?(job: Job, place: JobPlace): Promise<string>;
  /** true: the config asks for a dry run whatever the command line says (runnable's `mock: true`) */
  readonly mock?: boolean;
  /**
   * Set when the executor schedules the job instead of running it (k8s-job with `schedule`: a
   * CronJob whose runs each start a run of their own): `execute-job` starts no run, calls this
   * and prints what it returns.
   */
  readonly schedule?: (job: Job, place: JobPlace) => Promise<string>;
}
