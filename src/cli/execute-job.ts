/** `runnable execute-job JOB`: run a single-task job, show progress, exit 0 / 1 / 2. */
import { executePreparedJob, prepareJob } from '../runner/job.js';
import { prepareAndDrive, runInputs, type ExecuteFlags } from './_drive.js';

export function executeJobCommand(job: string, flags: ExecuteFlags): Promise<number> {
  return prepareAndDrive(!!flags.json, () => prepareJob({ job, ...runInputs(flags) }), executePreparedJob);
}
