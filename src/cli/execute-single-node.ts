/**
 * `runnable execute-single-node RUN_ID PIPELINE STEP [-c] [-p] [--map-variable JSON]`: run one
 * step of an existing run in this process (what the emulate executor, containers, Slurm jobs and
 * Argo pods call). Exit 0: the step succeeded; 1: it failed (the run log holds why); 2: bad
 * input (unknown run id or step, bad --map-variable, a finished run, a changed pipeline),
 * nothing written.
 */
import type { RunObserver } from '../engine/context.js';
import { executeSingleNode } from '../runner/single-node.js';
import { TerminalReporter } from './_reporter.js';
import { EXIT_FAILED, EXIT_OK, reportError } from './_errors.js';

export interface StepFlags {
  config?: string;
  parameters?: string;
  mapVariable?: string;
  /** print one JSON object with the outcome on stdout (the step's own stdout goes to stderr) */
  json?: boolean;
  /** no progress lines, only the step's own output (the caller reports progress) */
  quiet?: boolean;
}

export async function executeSingleNodeCommand(runId: string, pipeline: string, step: string, flags: StepFlags & { oneAttempt?: boolean }): Promise<number> {
  return withStepSignals(async (signal) => {
    const result = await executeSingleNode({
      runId,
      pipeline,
      step,
      mapVariable: flags.mapVariable,
      configFile: flags.config,
      parametersFile: flags.parameters,
      observer: stepObserver(flags),
      signal,
      oneAttempt: flags.oneAttempt,
    });
    if (flags.json) process.stdout.write(`${JSON.stringify({ run_id: result.runId, internal_name: result.internalName, status: result.status })}\n`);
    return result.status === 'SUCCESS' ? EXIT_OK : EXIT_FAILED;
  });
}

/** The reporter of a run driven from a batch job (the detached Slurm driver): plain lines, no colour. */
export function batchReporter(): TerminalReporter {
  return new TerminalReporter({ json: false, colour: false });
}

export function stepObserver(flags: StepFlags): RunObserver {
  const reporter = new TerminalReporter({ json: !!flags.json });
  return flags.quiet ? { output: (name, stream, chunk) => reporter.output(name, stream, chunk) } : reporter;
}

/**
 * SIGINT/SIGTERM/SIGHUP stop the step, which is then recorded FAIL (a cancelled job, a stopped
 * container). A second signal exits at once, unless it comes within a second of the first:
 * Ctrl-C reaches a step process both directly and through the executor that started it.
 */
export async function withStepSignals(run: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const controller = new AbortController();
  let first = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      if (Date.now() - first >= 1000) process.exit(130);
      return;
    }
    first = Date.now();
    controller.abort(new Error(`interrupted by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal); // the terminal closed: stop as for SIGTERM, never leave steps running
  try {
    return await run(controller.signal);
  } catch (err) {
    return reportError(err);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  }
}
