/** `runnable execute-job JOB`: run a single-task job, show progress, exit 0 / 1 / 2. */
import { executePreparedJob, prepareJob } from '../runner/job.js';
import { TerminalReporter } from './_reporter.js';
import { reportError } from './_errors.js';
import { driveFromTerminal } from './_drive.js';
import type { ExecuteFlags } from './execute.js';

export async function executeJobCommand(job: string, flags: ExecuteFlags): Promise<number> {
  const reporter = new TerminalReporter({ json: !!flags.json });
  let prepared;
  try {
    prepared = await prepareJob({
      job,
      configFile: flags.config,
      parametersFile: flags.parameters,
      runId: flags.runId,
      tag: flags.tag,
    });
  } catch (err) {
    return reportError(err);
  }
  return driveFromTerminal(reporter, !!flags.json, (opts) => executePreparedJob(prepared, opts));
}
