/**
 * What the job executors that run the task in another process (a child process, a container,
 * a Slurm job) do once that process has ended. The process records the job in the run log's
 * `job` section itself; one that died before recording its end (killed, out of memory, could
 * not start) left a job that looks unfinished, so this process records a FAIL attempt saying
 * how it ended, for `runs show` to explain and `retry` to run it again.
 */
import type { Job } from '../../graph/model.js';
import { newAttempt, now } from '../../nodes/index.js';
import type { CodeIdentity, JobLog, RunLogStore, Status } from '../../runlog/types.js';
import type { RunContext } from '../../engine/context.js';
import { describeEnd, type Launcher, type StepProcessResult } from '../../engine/launcher.js';
import { jobTaskCommand } from '../../engine/protocol.js';
import { fileForOtherProcesses } from '../_elsewhere.js';
import { JOB_STEP } from './run-task.js';

/**
 * The job file the other process loads the job from; `check` hooks call it before the run
 * exists (exit 2, nothing run): that process sees neither this one's memory (a `buffered` run
 * log) nor a job built in it. `where`: where the task runs, for the messages ("in a container").
 */
export function jobFileFor(store: RunLogStore, job: Job, type: string, where: string): string {
  return fileForOtherProcesses(store, job.source, 'job', `${type} job`, where);
}

export interface RemoteEnd {
  /** how the process ended, a sentence: "the job's process was killed by SIGKILL" */
  how: string;
  /** the end of its stderr, for the message */
  stderrTail: string;
}

/** How a launched process ended; `who` names it: "the job's container". */
export function processEnd(who: string, r: StepProcessResult): RemoteEnd {
  return { how: describeEnd(r, who), stderrTail: r.stderrTail };
}

/**
 * What every job executor that runs the task elsewhere does: launch the job's task (`job-task`)
 * through `launcher`, then settle the `job` section from the run log, adding where it ran.
 * `who` names the process in messages: "the job's container".
 */
export async function runJobElsewhere(rc: RunContext, job: Job, type: string, where: string, launcher: Launcher, who: string): Promise<Status> {
  const file = jobFileFor(rc.log.store, job, type, where);
  const before = (await rc.log.job())?.attempts.length ?? 0;
  rc.observer.stepStarted?.({ internalName: JOB_STEP, type: 'job', attempt: before + 1 });
  const cmd = jobTaskCommand(rc, job.task, file, JOB_STEP);
  const result = await launcher.launch(rc, cmd);
  // the run log is the truth; a process that died before recording the job's end fails it
  const ran = await launcher.ranAt?.(rc, cmd);
  return settleRemoteJob(rc, before, processEnd(who, result), ran && ((ids) => [...ids.filter((c) => !ran.replaces(c)), ran.identity]));
}

/**
 * Settles the `job` section after the task's process ended: as that process recorded it, or
 * FAIL with `end` when it recorded no new attempt (`attemptsBefore`: the attempts before it
 * started); `identities` adds where it ran (an image, a Slurm job) to `code_identities`.
 * Writes the section, reports the job's end to the observer and returns the job's status.
 */
export async function settleRemoteJob(
  rc: RunContext,
  attemptsBefore: number,
  end: RemoteEnd,
  identities: (current: CodeIdentity[]) => CodeIdentity[] = (c) => c,
): Promise<Status> {
  let job = await rc.log.job();
  if (!job || job.status === 'PROCESSING' || job.attempts.length <= attemptsBefore) {
    const tail = end.stderrTail.trim();
    const message = `${end.how}${rc.signal.aborted ? ' (interrupted)' : ''}${tail ? `\n--- stderr (last lines) ---\n${tail}` : ''}`;
    // a process that died before its first write: the code submitted is this process's
    const base: JobLog = job ?? { status: 'CREATED', message: '', mock: false, code_identities: [await rc.codeIdentity()], attempts: [], data_catalog: [] };
    const attempt = { ...newAttempt(base.attempts.length + 1), status: 'FAIL' as const, message, end_time: now() };
    job = { ...base, status: 'FAIL', message, attempts: [...base.attempts, attempt] };
  }
  job = { ...job, code_identities: identities(job.code_identities) };
  await rc.log.putJob(job);
  const last = job.attempts.at(-1);
  const ms = last ? Date.parse(last.end_time) - Date.parse(last.start_time) : 0;
  const status: Status = job.status === 'SUCCESS' ? 'SUCCESS' : 'FAIL';
  rc.observer.stepFinished?.({ internalName: JOB_STEP, type: 'job', status, durationMs: Number.isFinite(ms) ? ms : 0, message: job.message });
  return status;
}
