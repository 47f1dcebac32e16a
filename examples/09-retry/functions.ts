/**
 * The functions of the retry examples (runnable's examples/09-retry/*.py): steps that fail
 * unless the environment variable `should_pass` is "true" (case-insensitive), exactly as
 * runnable's `check_envvar` does. A first run without it fails; `runnable retry RUN_ID` with
 * `should_pass=true` continues the run, and only the steps that did not succeed run again.
 *
 *   runnable execute examples/09-retry/linear.yaml            # FAIL, prints the run id
 *   should_pass=true runnable retry RUN_ID                    # SUCCESS, same run id
 *
 * The other functions of these pipelines come from examples/common/functions.ts.
 */
import assert from 'node:assert/strict';

/** "true" when the environment says this attempt should pass (runnable: `os.environ.get("should_pass", "false").lower()`). */
function shouldPass(): boolean {
  const should_pass = (process.env['should_pass'] ?? 'false').toLowerCase();
  console.log(`should_pass=${should_pass} (attempt ${process.env['RUNNABLE_STEP_ATTEMPT'] ?? '?'})`);
  return should_pass === 'true';
}

/** Fails unless should_pass=true (simple_task, linear, parallel, conditional, fail_handling). */
export function check_envvar(): void {
  if (shouldPass()) return;
  throw new Error('Environment variable check failed!');
}

/** parameter_handling: returns param1 + 1 (the next step sees 41 + 1 = 42). */
export function increment_parameter(param1: number): number {
  return param1 + 1;
}

/**
 * parameter_handling: fails unless should_pass=true; then the parameters must be those of the
 * run (param1 = 42 as incremented, param2 from the original parameters file), whatever the
 * parameters file or RUNNABLE_PRM_ variables say at retry time.
 */
export function check_envvar_with_params(param1: number, param2: string): void {
  if (shouldPass()) {
    assert.equal(param1, 42);
    assert.equal(param2, 'hello world');
    return;
  }
  throw new Error('Environment variable check failed!');
}

/** map: the first stage of an iteration; fails unless should_pass=true, else returns chunk * 10. */
export function check_envvar_chunk(chunk: number): number {
  if (shouldPass()) return chunk * 10;
  throw new Error('Environment variable check failed!');
}
