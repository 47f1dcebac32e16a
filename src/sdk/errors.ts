/** The error `Pipeline.execute()` throws when a run ran and did not succeed (CLI exit code 1). */
import type { RunLog, StepLog } from '../runlog/types.js';

/**
 * A run that ended other than SUCCESS. Not a RunnableError: the input was fine, a step failed;
 * the run log says which and why.
 * @example
 * try { await p.execute(); } catch (e) { if (e instanceof PipelineFailedError) console.log(e.runLog.steps); }
 */
export class PipelineFailedError extends Error {
  override readonly name = 'PipelineFailedError';
  readonly runId: string;
  readonly runLog: RunLog;
  /** where the run log is stored */
  readonly location?: string;

  constructor(runLog: RunLog, location?: string) {
    const failed = firstFailed(runLog.steps);
    const why = failed ? `: step '${failed.internal_name}' failed${failed.message ? `: ${firstLine(failed.message)}` : ''}` : '';
    super(`run '${runLog.run_id}' ended ${runLog.status}${why}`);
    this.runId = runLog.run_id;
    this.runLog = runLog;
    if (location !== undefined) this.location = location;
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
