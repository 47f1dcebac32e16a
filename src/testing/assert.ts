/**
 * Reading a run log in a test: steps and branches by internal name, statuses, attempts,
 * parameters as plain values. Plain functions that throw an `AssertionError` (node:assert) with
 * what the run log does hold, so they work the same under vitest, jest and `node:test`.
 */
import { AssertionError } from 'node:assert';
import type { BranchLog, Parameters, RunLog, Status, StepAttempt, StepLog } from '../runlog/types.js';

type StepContainer = { steps: Record<string, StepLog> };

/**
 * The step log at an internal name: `train` at the top level, `fan.2.work` inside iteration 2 of
 * map `fan`, `split.left.fit` inside branch `left` of parallel `split`.
 * @example expect(stepOf(log, 'fan.2.work').status).toBe('SUCCESS')
 */
export function stepOf(log: RunLog, internalName: string): StepLog {
  const segs = internalName.split('.');
  let current = log.steps[segs[0]!];
  if (!current) fail(`no step '${segs[0]}' in run '${log.run_id}'; its steps: ${list(Object.keys(log.steps))}`);
  for (let i = 1; i < segs.length; i += 2) {
    const branchName = segs.slice(0, i + 1).join('.');
    const branch: BranchLog | undefined = current.branches[branchName];
    if (!branch) fail(`no branch '${branchName}' in step '${current.internal_name}'; its branches: ${list(Object.keys(current.branches))}`);
    if (i + 1 >= segs.length) fail(`'${internalName}' is a branch, not a step: use branchOf()`);
    const stepName = segs.slice(0, i + 2).join('.');
    const next: StepLog | undefined = branch.steps[stepName];
    if (!next) fail(`no step '${stepName}' in branch '${branchName}'; its steps: ${list(Object.values(branch.steps).map((s) => s.internal_name))}`);
    current = next;
  }
  return current;
}

/**
 * The branch log at an internal name: `fan.2` (iteration 2 of map `fan`), `split.left`.
 * @example expect(branchOf(log, 'fan.2').status).toBe('SUCCESS')
 */
export function branchOf(log: RunLog, internalName: string): BranchLog {
  const cut = internalName.lastIndexOf('.');
  if (cut < 0) fail(`'${internalName}' is a step, not a branch: a branch is <composite step>.<branch>`);
  const parent = stepOf(log, internalName.slice(0, cut));
  const branch = parent.branches[internalName];
  if (!branch) fail(`no branch '${internalName}' in step '${parent.internal_name}'; its branches: ${list(Object.keys(parent.branches))}`);
  return branch;
}

/**
 * The internal names of a composite step's branches, in the order they were created.
 * @example expect(branchNames(log, 'fan')).toEqual(['fan.1', 'fan.2', 'fan.3'])
 */
export function branchNames(log: RunLog, step: string): string[] {
  return Object.keys(stepOf(log, step).branches);
}

/**
 * `internal name -> status` of every step and branch of the run (or of one branch), depth first.
 * @example expect(statuses(log)).toMatchObject({ prepare: 'SUCCESS', fan: 'SUCCESS', 'fan.1': 'SUCCESS' })
 */
export function statuses(log: RunLog | BranchLog): Record<string, Status> {
  const out: Record<string, Status> = {};
  const visit = (c: StepContainer) => {
    for (const step of Object.values(c.steps)) {
      out[step.internal_name] = step.status;
      for (const branch of Object.values(step.branches)) {
        out[branch.internal_name] = branch.status;
        visit(branch);
      }
    }
  };
  visit(log);
  return out;
}

/**
 * Every step log of the run, depth first (`filter` them: `allSteps(log).filter(s => s.mock)`).
 * @example expect(allSteps(log).filter((s) => s.mock).map((s) => s.internal_name)).toEqual(['deploy'])
 */
export function allSteps(log: RunLog | BranchLog): StepLog[] {
  const out: StepLog[] = [];
  const visit = (c: StepContainer) => {
    for (const step of Object.values(c.steps)) {
      out.push(step);
      for (const branch of Object.values(step.branches)) visit(branch);
    }
  };
  visit(log);
  return out;
}

/**
 * Internal names of the task steps recorded as mocked (not run by the mocked executor).
 * @example expect(mockedSteps(log)).toEqual(['train'])
 */
export function mockedSteps(log: RunLog | BranchLog): string[] {
  return allSteps(log)
    .filter((s) => s.mock)
    .map((s) => s.internal_name);
}

/**
 * The attempts of a task step (or of the run's job, with no step name).
 * @example expect(attemptsOf(log, 'flaky')).toHaveLength(3)
 */
export function attemptsOf(log: RunLog, step?: string): StepAttempt[] {
  if (step !== undefined) return stepOf(log, step).attempts;
  if (!log.job) fail(`run '${log.run_id}' is not a job: give a step name`);
  return log.job.attempts;
}

/**
 * `{name: value}` of a parameter map, or of the final parameters of a run or branch. An
 * `object` parameter's value is its reference in the catalog.
 * @example expect(valuesOf(log)).toMatchObject({ total: 150 })
 */
export function valuesOf(params: Parameters | RunLog | BranchLog): Record<string, unknown> {
  const map = isParameterMap(params) ? params : params.parameters;
  return Object.fromEntries(Object.entries(map).map(([k, p]) => [k, p.value]));
}

/**
 * `{name: value}` a step received in its last attempt (or the job's, with no step name).
 * @example expect(inputsOf(log, 'train')).toEqual({ rows: 10 })
 */
export function inputsOf(log: RunLog, step?: string): Record<string, unknown> {
  return valuesOf(lastAttempt(log, step).input_parameters);
}

/**
 * `{name: value}` a step returned in its last attempt (or the job's, with no step name).
 * @example expect(outputsOf(log, 'train')).toEqual({ accuracy: 0.9 })
 */
export function outputsOf(log: RunLog, step?: string): Record<string, unknown> {
  return valuesOf(lastAttempt(log, step).output_parameters);
}

/**
 * `{name: value}` of the metrics a step (or the job) recorded in its last attempt.
 * @example expect(metricsOf(log, 'evaluate')).toEqual({ accuracy: 0.9 })
 */
export function metricsOf(log: RunLog, step?: string): Record<string, unknown> {
  return valuesOf(lastAttempt(log, step).user_defined_metrics);
}

/**
 * Throws unless the run succeeded, naming the failed steps and their messages.
 * @example assertSucceeded(await runPipeline(p))
 */
export function assertSucceeded(log: RunLog): void {
  if (log.status === 'SUCCESS') return;
  const failed = allSteps(log).filter((s) => s.status === 'FAIL' && s.step_type !== 'fail');
  const why = log.job
    ? `job: ${firstLine(log.job.message)}`
    : failed.map((s) => `${s.internal_name}${s.message ? `: ${firstLine(s.message)}` : ''}`).join('; ') || 'no step failed';
  fail(`run '${log.run_id}' ended ${log.status} (${why})`);
}

/**
 * Throws unless the run failed; with `step`, unless that step failed.
 * @example assertFailed(log, 'train')
 */
export function assertFailed(log: RunLog, step?: string): void {
  if (log.status !== 'FAIL') fail(`run '${log.run_id}' ended ${log.status}, not FAIL`);
  if (step !== undefined && stepOf(log, step).status !== 'FAIL') fail(`step '${step}' ended ${stepOf(log, step).status}, not FAIL`);
}

function lastAttempt(log: RunLog, step: string | undefined): StepAttempt {
  const attempts = attemptsOf(log, step);
  const last = attempts.at(-1);
  if (!last) fail(`${step === undefined ? 'the job' : `step '${step}'`} has no attempts (a step that is not a task?)`);
  return last;
}

function isParameterMap(v: Parameters | RunLog | BranchLog): v is Parameters {
  return !('parameters' in v && 'internal_name' in v) && !('parameters' in v && 'run_id' in v);
}

const firstLine = (s: string) => s.split('\n')[0]!.trim();
const list = (names: string[]) => (names.length ? names.map((n) => `'${n}'`).join(', ') : 'none');

function fail(message: string): never {
  throw new AssertionError({ message });
}
