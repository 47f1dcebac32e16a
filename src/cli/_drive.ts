/**
 * Running a run from the terminal: progress and summary through the reporter, Ctrl-C stops the
 * run (a second one exits at once), `--json` prints the one result object, exit 0 / 1.
 */
import type { DriveOptions, RunResult } from '../runner/execute.js';
import type { Graph } from '../graph/model.js';
import { printable } from '../util/printable.js';
import { TerminalReporter } from '../views/reporter.js';
import { describeError, EXIT_FAILED, EXIT_OK, reportError } from './_errors.js';
import { cliLevel, warn } from './_level.js';

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
  const reporter = new TerminalReporter({ json, level: cliLevel() });
  let prepared: P;
  try {
    prepared = await prepare();
  } catch (err) {
    return reportError(err);
  }
  const pipeline = (prepared as { pipeline?: { graph?: Graph } }).pipeline;
  if (pipeline?.graph) reporter.expect(pipeline.graph);
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
  let started: string | undefined;
  try {
    const result = await start({
      observer: reporter,
      signal: controller.signal,
      onStart: ({ runId }) => {
        started = runId;
        reporter.started(runId);
      },
    });
    if (result.handOff) {
      // nothing ran: the executor wrote the pipeline for another engine (argo) and says how to submit it
      reporter.info(result.handOff.message);
      if (json) process.stdout.write(`${JSON.stringify({ run_id: result.runId, status: result.status, run_log: null, manifest: result.handOff.file })}\n`);
      return EXIT_OK;
    }
    reporter.summary(result);
    if (result.unflushed !== undefined) reportUnflushed(result);
    if (json) process.stdout.write(`${JSON.stringify({ run_id: result.runId, status: result.status, run_log: result.runLog })}\n`);
    // PROCESSING: the executor handed the run over and returned (slurm `detach: true`): not a failure
    return result.status === 'SUCCESS' || result.status === 'PROCESSING' ? EXIT_OK : EXIT_FAILED;
  } catch (err) {
    const code = reportError(err);
    // before the run began (e.g. its run log could not be created): bad input or a bad disk, exit 2
    if (!started) return code;
    // the run log keeps every step that finished: once the cause is fixed, retry goes on from there
    reporter.line(`runnable: run ${printable(started)} stopped; once that is fixed, \`runnable retry ${printable(started)}\` continues it`);
    return EXIT_FAILED;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  }
}

/** The run's records are stored, its file is behind them: the status stands, the file's reader is warned. */
function reportUnflushed(result: RunResult): void {
  const [why] = describeError(result.unflushed);
  warn(`run ${result.runId} ${result.status}, but ${why}: the run log's last records stay in the journal beside it, which runnable's commands read with it`);
}
