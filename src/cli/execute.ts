/** `runnable execute PIPELINE`: run a pipeline, show progress, exit 0 / 1 / 2. */
import { prepareRun } from '../runner/prepare.js';
import { executePrepared } from '../runner/execute.js';
import { TerminalReporter } from './_reporter.js';
import { EXIT_FAILED, EXIT_OK, reportError } from './_errors.js';

export interface ExecuteFlags {
  config?: string;
  parameters?: string;
  runId?: string;
  tag?: string;
  json?: boolean;
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

  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    reporter.line(`runnable: ${sig} received, stopping the run (again to exit at once)`);
    controller.abort(new Error(`interrupted by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await executePrepared(prepared, {
      observer: reporter,
      signal: controller.signal,
      onStart: ({ runId }) => reporter.started(runId),
    });
    reporter.summary(result);
    if (flags.json) process.stdout.write(`${JSON.stringify({ run_id: result.runId, status: result.status, run_log: result.runLog })}\n`);
    return result.status === 'SUCCESS' ? EXIT_OK : EXIT_FAILED;
  } catch (err) {
    reportError(err);
    return EXIT_FAILED;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
