/**
 * The errors `Pipeline.execute()` and `Job.execute()` throw when a run ran and did not succeed
 * (CLI exit code 1). Both are RunnableErrors (code `E_RUN_FAILED`) carrying the run id, so a
 * program catches one class for everything runnable reports; the run log says which step failed
 * and why.
 */
import { RunnableError } from '../errors.js';
import type { RunLog, StepLog } from '../runlog/types.js';

const RUN_FAILED_BRAND = Symbol.for('runnable-ts.run-failed');

/** A run that ended other than SUCCESS: its id, its run log and where that is stored. */
export class RunFailedError extends RunnableError {
  override readonly name: string = 'RunFailedError';
  readonly runId: string;
  readonly runLog: RunLog;
  /** where the run log is stored */
  readonly location?: string;

  constructor(message: string, runLog: RunLog, location?: string) {
    super('E_RUN_FAILED', message);
    Object.defineProperty(this, RUN_FAILED_BRAND, { value: this.constructor.name });
    this.runId = runLog.run_id;
    this.runLog = runLog;
    if (location !== undefined) this.location = location;
  }

  /**
   * By brand, as RunnableError is (another copy of the library made it); a subclass matches only
   * its own errors, not every RunnableError that `instanceof RunnableError` matches.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    const brand = (value as Record<symbol, unknown>)[RUN_FAILED_BRAND];
    return typeof brand === 'string' && (this === RunFailedError || brand === this.name);
  }
}

/**
 * A pipeline run that ended other than SUCCESS. The input was fine, a step failed; the run log
 * says which and why.
 * @example
 * try { await p.execute(); } catch (e) { if (e instanceof PipelineFailedError) console.log(e.runId, e.runLog.steps); }
 */
export class PipelineFailedError extends RunFailedError {
  override readonly name: string = 'PipelineFailedError';

  constructor(runLog: RunLog, location?: string) {
    const failed = firstFailed(runLog.steps);
    const why = failed ? `: step '${failed.internal_name}' failed${failed.message ? `: ${firstLine(failed.message)}` : ''}` : '';
    super(`run '${runLog.run_id}' ended ${runLog.status}${why}`, runLog, location);
  }
}

/**
 * A job run that ended other than SUCCESS: the run log's `job` section says why.
 * @example try { await j.execute(); } catch (e) { if (e instanceof JobFailedError) console.log(e.runLog.job?.message); }
 */
export class JobFailedError extends RunFailedError {
  override readonly name: string = 'JobFailedError';

  constructor(runLog: RunLog, location?: string) {
    const why = runLog.job?.message ? `: ${firstLine(runLog.job.message)}` : '';
    super(`job run '${runLog.run_id}' ended ${runLog.status}${why}`, runLog, location);
  }
}

/** The deepest first failed step, in execution order. */
function firstFailed(steps: Record<string, StepLog>): StepLog | undefined {
  for (const step of Object.values(steps)) {
    if (step.status !== 'FAIL') continue;
    for (const branch of Object.values(step.branches)) {
      const inner = firstFailed(branch.steps);
      if (inner) return inner;
    }
    return step;
  }
  return undefined;
}

const firstLine = (s: string) => s.split('\n')[0]!.trim();
