/** `runnable retry RUN_ID`: continue a failed or interrupted run; exit 0 / 1, or 2 if it cannot be retried. */
import { prepareRetry, resumeRun } from '../runner/retry.js';
import { TerminalReporter } from '../views/reporter.js';
import { reportError } from './_errors.js';
import { cliLevel } from './_level.js';
import { driveFromTerminal } from './_drive.js';

export async function retryCommand(runId: string, flags: { config?: string; json?: boolean; cache?: boolean; detach?: boolean }): Promise<number> {
  const reporter = new TerminalReporter({ json: !!flags.json, level: cliLevel() });
  let prepared;
  try {
    prepared = await prepareRetry({ runId, configFile: flags.config, detach: flags.detach });
  } catch (err) {
    return reportError(err);
  }
  reporter.info(`runnable: retrying run ${runId}: steps that succeeded are skipped`);
  return driveFromTerminal(reporter, !!flags.json, (opts) => resumeRun(prepared, { ...opts, noCache: flags.cache === false }));
}
