/** `runnable execute PIPELINE`: run a pipeline, show progress, exit 0 / 1 / 2. */
import { prepareRun } from '../runner/prepare.js';
import { executePrepared } from '../runner/execute.js';
import { TerminalReporter } from './_reporter.js';
import { reportError } from './_errors.js';
import { driveFromTerminal } from './_drive.js';

export interface ExecuteFlags {
  config?: string;
  parameters?: string;
  runId?: string;
  tag?: string;
  json?: boolean;
  /** false with `--no-cache` */
  cache?: boolean;
}

export async function executeCommand(pipeline: string, flags: ExecuteFlags): Promise<number> {
  const reporter = new TerminalReporter({ json: !!flags.json });
  let prepared;
  try {
    prepared = await prepareRun({
      pipeline,
      configFile: flags.config,
      parametersFile: flags.parameters,
      runId: flags.runId,
      tag: flags.tag,
    });
  } catch (err) {
    return reportError(err);
  }
  return driveFromTerminal(reporter, !!flags.json, (opts) => executePrepared(prepared, { ...opts, noCache: flags.cache === false }));
}
