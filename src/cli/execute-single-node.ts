/**
 * `runnable execute-single-node RUN_ID PIPELINE STEP [-c] [-p] [--map-variable JSON]`: run one
 * step of an existing run in this process (what the emulate executor, containers, Slurm jobs and
 * Argo pods call). Exit 0: the step succeeded; 1: it failed (the run log holds why); 2: bad
 * input (unknown run id or step, bad --map-variable, a finished run, a changed pipeline),
 * nothing written.
 */
import type { RunObserver } from '../engine/context.js';
import { executeSingleNode } from '../runner/single-node.js';
import type { TerminalReporter } from '../views/reporter.js';
import { writeFd } from '../util/fd.js';
import { EXIT_FAILED, EXIT_OK, reportError } from './_errors.js';
import { cliLevel } from './_level.js';
import { shows } from '../views/log-level.js';
import { isPipelineModulePath } from '../runner/load-module.js';
import { bundleNextTypeScriptModule } from '../tasks/index.js';

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
  loadsOneModule(pipeline);
  return withStepSignals(async (signal) => {
    const result = await executeSingleNode({
      runId,
      pipeline,
      step,
      mapVariable: flags.mapVariable,
      configFile: flags.config,
      parametersFile: flags.parameters,
      observer: await stepObserver(flags),
      signal,
      oneAttempt: flags.oneAttempt,
    });
    if (flags.json) process.stdout.write(`${JSON.stringify({ run_id: result.runId, internal_name: result.internalName, status: result.status })}\n`);
    return result.status === 'SUCCESS' ? EXIT_OK : EXIT_FAILED;
  });
}

/**
 * A step (or fan) process of a YAML pipeline, or a job's task process of a YAML job, loads one
 * user module at most, its task's or its reducer's: a TS one may then come from a bundle instead
 * of tsx (tasks/_ts_bundle.ts). A module pipeline's (job's) process loads that module too, so
 * theirs never do.
 */
export function loadsOneModule(pipelineOrJob: string): void {
  if (!isPipelineModulePath(pipelineOrJob)) bundleNextTypeScriptModule();
}

/** The reporter of a run driven from a batch job (the detached Slurm driver): plain lines, no colour. */
export async function batchReporter(): Promise<TerminalReporter> {
  const { TerminalReporter } = await import('../views/reporter.js');
  return new TerminalReporter({ json: false, colour: false });
}

/**
 * What a step process shows. `--quiet` (the executor that started it reports progress): the
 * step's own output only, as it comes, and the reporter is not loaded at all: with its live
 * area's terminal libraries it was a sixth of a step process's start.
 */
export async function stepObserver(flags: StepFlags): Promise<RunObserver> {
  const outFd = flags.json ? 2 : 1;
  if (flags.quiet || !shows(cliLevel(), 'info')) return { output: (_name, stream, chunk) => writeFd(stream === 1 ? outFd : 2, chunk) };
  const { TerminalReporter } = await import('../views/reporter.js');
  return new TerminalReporter({ json: !!flags.json, level: cliLevel() });
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
