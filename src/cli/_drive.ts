/**
 * Running a run from the terminal: progress and summary through the reporter, Ctrl-C stops the
 * run (a second one exits at once), `--json` prints the one result object, exit 0 / 1.
 */
import type { DriveOptions, RunResult } from '../runner/execute.js';
import { TerminalReporter } from './_reporter.js';
import { EXIT_FAILED, EXIT_OK, reportError } from './_errors.js';

/** The options `execute` and `execute-job` share. */
export interface ExecuteFlags {
  config?: string;
  parameters?: string;
  runId?: string;
  tag?: string;
  json?: boolean;
  /** false with `--no-cache` */
  cache?: boolean;
}

/** The flags as the runner's inputs. */
export function runInputs(flags: ExecuteFlags) {
  return { configFile: flags.config, parametersFile: flags.parameters, runId: flags.runId, tag: flags.tag };
}

/** Bad input found while preparing is exit 2 with nothing run; then the run is driven as below. */
export async function prepareAndDrive<P>(json: boolean, prepare: () => Promise<P>, execute: (prepared: P, opts: DriveOptions) => Promise<RunResult>): Promise<number> {
  const reporter = new TerminalReporter({ json });
  let prepared: P;
  try {
    prepared = await prepare();
  } catch (err) {
    return reportError(err);
  }
  return driveFromTerminal(reporter, json, (opts) => execute(prepared, opts));
}

export async function driveFromTerminal(reporter: TerminalReporter, json: boolean, start: (opts: DriveOptions) => Promise<RunResult>): Promise<number> {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    reporter.line(`runnable: ${sig} received, stopping the run (again to exit at once)`);
    controller.abort(new Error(`interrupted by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal); // the terminal closed: stop as for SIGTERM, never leave steps running
  try {
    const result = await start({ observer: reporter, signal: controller.signal, onStart: ({ runId }) => reporter.started(runId) });
    reporter.summary(result);
    if (json) process.stdout.write(`${JSON.stringify({ run_id: result.runId, status: result.status, run_log: result.runLog })}\n`);
    // PROCESSING: the executor handed the run over and returned (slurm `detach: true`): not a failure
    return result.status === 'SUCCESS' || result.status === 'PROCESSING' ? EXIT_OK : EXIT_FAILED;
  } catch (err) {
    reportError(err);
    return EXIT_FAILED;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  }
}
