/** `runnable execute-job JOB`: run a single-task job, show progress, exit 0 / 1 / 2; `--dry-run` prints what would be submitted. */
import { executePreparedJob, prepareJob, withoutRun, type PreparedJob } from '../runner/job.js';
import { prepareAndDrive, runInputs, type ExecuteFlags } from './_drive.js';
import { EXIT_OK, reportError } from './_errors.js';

export async function executeJobCommand(job: string, flags: ExecuteFlags & { dryRun?: boolean }): Promise<number> {
  let prepared: PreparedJob;
  let instead: Awaited<ReturnType<typeof withoutRun>>;
  try {
    prepared = await prepareJob({ job, ...runInputs(flags), dryRun: !!flags.dryRun });
    instead = await withoutRun(prepared, !!flags.dryRun);
  } catch (err) {
    return reportError(err);
  }
  if (instead) {
    if (instead.stdout) process.stdout.write(instead.stdout);
    if (instead.stderr) process.stderr.write(`${instead.stderr}\n`);
    return EXIT_OK;
  }
  return prepareAndDrive(!!flags.json, async () => prepared, executePreparedJob);
}
