/**
 * The task of an existing job run, in this process: what a job executor that runs the task
 * elsewhere starts (`emulate`: a child process; `local-container`: a container; `slurm`: a batch
 * job, through entries/slurm-job.ts) with the arguments `RUN_ID JOB [CONFIG]`. The job's run
 * exists (`runnable execute-job` created it); runner/job-task.ts runs its task and records it in
 * the run log's `job` section. Exit 0: the task succeeded; 1: it failed (the run log says why);
 * 2: bad input. SIGTERM/SIGINT (a stopped container, Ctrl-C) stop the task, recorded FAIL.
 *
 * `--new-run JOB [CONFIG]`: start a run of the job here, with a new run id, and run its task in
 * this process whatever the config's job-executor says: what each run of a scheduled job (a
 * k8s-job CronJob) does.
 */
import { loadsOneModule, stepObserver, withStepSignals } from '../cli/execute-single-node.js';
import { RunnableError } from '../errors.js';
import { executeJobTask } from '../runner/job-task.js';

export function runJobTaskEntry(args: string[]): Promise<number> {
  return withStepSignals(async (signal) => {
    const [runId, job, configFile] = args;
    if (!runId || !job) throw new RunnableError('E_USAGE', 'usage: node container-job.mjs RUN_ID JOB [CONFIG] | --new-run JOB [CONFIG]');
    // a YAML job's process loads one user module, its task's (a TS one may come from a bundle)
    loadsOneModule(job);
    if (runId === '--new-run') {
      const { executeJob } = await import('../runner/job.js');
      const onStart = ({ runId: id }: { runId: string }) => process.stderr.write(`runnable: run ${id}\n`);
      const result = await executeJob({ job, configFile: configFile || undefined, runHere: true, signal, observer: await stepObserver({ quiet: true }), onStart });
      process.stderr.write(`runnable: run ${result.runId} ${result.status}\n`);
      return result.status === 'SUCCESS' ? 0 : 1;
    }
    // the caller reports progress: only the task's own output is printed here
    const status = await executeJobTask({ runId, job, configFile: configFile || undefined, signal, observer: await stepObserver({ quiet: true }) });
    return status === 'SUCCESS' ? 0 : 1;
  });
}
