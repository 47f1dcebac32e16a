/**
 * What a person needs after a failed run: which steps failed, with their whole error (a TS
 * syntax error's first line is only "Transform failed with 1 error:"), where their output went,
 * and the exact command that continues the run. Shared by the end-of-run summary and `runs show`.
 */
import type { JobLog, RunLog, StepLog } from '../runlog/types.js';
import { attemptLogPath as attemptLogFile } from '../catalog/attempt-log.js';
import { displayPath } from '../util/display-path.js';

export interface FailedStep {
  /** the step's internal name (`map.2.inner` inside a map), or `job` for a job */
  name: string;
  attempt: number;
  message: string;
}

/** The steps that failed on their own: a parallel/map/loop step fails because a step inside it did, so it names that one. */
export function failedSteps(log: RunLog): FailedStep[] {
  if (log.job) return log.job.status === 'FAIL' ? [entry('job', log.job)] : [];
  const out: FailedStep[] = [];
  const walk = (steps: Record<string, StepLog>) => {
    for (const step of Object.values(steps)) {
      if (step.status !== 'FAIL') continue;
      const before = out.length;
      for (const branch of Object.values(step.branches)) walk(branch.steps);
      if (out.length === before) out.push(entry(step.internal_name, step));
    }
  };
  walk(log.steps);
  return out;
}

function entry(name: string, log: JobLog): FailedStep {
  const last = log.attempts.at(-1);
  return { name, attempt: last?.attempt_number ?? log.attempts.length, message: log.message || last?.message || '' };
}

/** Where a step attempt's stdout and stderr are kept (src/nodes/task.ts writes them into the run's catalog). */
export function attemptLogPath(catalogLocation: string, step: FailedStep): string {
  // the name the task wrote it under (safe and short whatever the step's name: catalog/attempt-log.ts)
  return `${catalogLocation.replace(/\/+$/, '')}/${attemptLogFile(step.name, step.attempt)}`;
}

/** `runnable retry RUN_ID`, with the configuration file the run used (the run log records it). */
export function retryCommandLine(log: RunLog, cwd = process.cwd()): string {
  const file = log.run_config?.configuration_file;
  const config = typeof file === 'string' && file ? ` -c ${shellWord(displayPath(file, cwd))}` : '';
  return `runnable retry ${shellWord(log.run_id)}${config}`;
}

/** Quoted for a POSIX shell when it has to be, so the line can be pasted as it is. */
function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A message on its own lines, each indented: the whole message, not its first line. */
export function indentLines(message: string, indent: string): string {
  return message
    .split('\n')
    .map((l) => `${indent}${l}`)
    .join('\n');
}
