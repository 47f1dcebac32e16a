/**
 * The process a job's task runs in when a job executor runs it outside `runnable execute-job`
 * (`local-container`: in a container; `emulate`: a child process; `k8s-job`: a pod):
 * `node dist/bundle/container-job.mjs RUN_ID JOB [CONFIG]` (this file, bundled by
 * scripts/bundle.mjs). The job's run exists (`runnable execute-job`
 * created it); src/runner/job-task.ts runs its task here and records it in the run log's `job`
 * section. Exit 0: the task succeeded; 1: it failed (the run log says why); 2: bad input.
 * SIGTERM/SIGINT (a stopped container, Ctrl-C) stop the task, which is then recorded FAIL.
 *
 * `container-job.mjs --new-run JOB [CONFIG]`: start a run of the job here, with a new run id,
 * and run its task in this process whatever the config's job-executor says — what each run of
 * a scheduled job (a Kubernetes CronJob) does.
 */
import { RunnableError } from '../../errors.js';

const { withStepSignals, stepObserver } = await import('../../cli/execute-single-node.js');
const code = await withStepSignals(async (signal) => {
  const [first, job, configFile] = process.argv.slice(2);
  if (!first || !job) throw new RunnableError('E_USAGE', 'usage: node container-job.mjs RUN_ID JOB [CONFIG] | --new-run JOB [CONFIG]');
  if (first === '--new-run') {
    const { executeJob } = await import('../../runner/job.js');
    const result = await executeJob({ job, configFile: configFile || undefined, runHere: true, signal, observer: stepObserver({ quiet: true }), onStart: ({ runId }) => process.stderr.write(`runnable: run ${runId}\n`) });
    process.stderr.write(`runnable: run ${result.runId} ${result.status}\n`);
    return result.status === 'SUCCESS' ? 0 : 1;
  }
  const { executeJobTask } = await import('../../runner/job-task.js');
  // the caller reports progress: only the task's own output is printed here
  const status = await executeJobTask({ runId: first, job, configFile: configFile || undefined, signal, observer: stepObserver({ quiet: true }) });
  return status === 'SUCCESS' ? 0 : 1;
});
// exit even if the task left handles open, once stdout has drained (as bin/runnable.js does)
process.stdout.write('', () => process.exit(code));
