/**
 * A job's task, run in this process: the attempts of a task step (src/nodes/task.ts
 * `runAttempt`: parameters in, command, returns, catalog `put`, log file), recorded in the run
 * log's `job` section instead of a step log; on success its returns become run parameters.
 * Job executors that run the task elsewhere call this on the other side.
 */
import type { TaskNode } from '../../graph/model.js';
import { setScopeParams } from '../../nodes/index.js';
import { backoff, runAttempt } from '../../nodes/task.js';
import type { JobLog, Status, StepAttempt } from '../../runlog/types.js';
import type { RunContext } from '../../engine/context.js';

/** The internal name of a job's task: its log file is `.logs/job.attempt-N.log` in the catalog. */
export const JOB_STEP = 'job';

export async function runJobTask(rc: RunContext, task: TaskNode): Promise<Status> {
  const graph = rc.pipeline.graph;
  const previous = await rc.log.job();
  const job: JobLog = {
    ...(previous ?? { status: 'CREATED', message: '', mock: false, code_identities: [], attempts: [], data_catalog: [] }),
    status: 'PROCESSING',
    code_identities: [await rc.codeIdentity()],
  };
  await rc.log.putJob(job);

  const attempts = [...job.attempts];
  const catalog = [...job.data_catalog];
  let last: StepAttempt | undefined;
  for (let i = 0; i < task.maxAttempts; i++) {
    const number = attempts.length + 1;
    rc.observer.stepStarted?.({ internalName: JOB_STEP, type: 'job', attempt: number });
    last = await runAttempt(rc, task, graph, [], task.internalName, number, catalog);
    attempts.push(last);
    const durationMs = Date.parse(last.end_time) - Date.parse(last.start_time);
    rc.observer.stepFinished?.({ internalName: JOB_STEP, type: 'job', status: last.status, durationMs, message: last.message });
    if (last.status === 'SUCCESS' || rc.signal.aborted) break;
    if (i + 1 < task.maxAttempts) await backoff(task, i, rc.signal);
  }
  const status = last!.status;
  await rc.log.putJob({ ...job, status, message: last!.message, attempts, data_catalog: catalog });
  // as for a step: outputs reach the parameters once the job is recorded as succeeded
  if (status === 'SUCCESS') await setScopeParams(rc, graph, [], last!.output_parameters);
  return status;
}
