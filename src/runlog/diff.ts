/**
 * Two runs side by side: parameters, metrics, catalog hashes, step statuses and durations.
 * Every row names one thing and its value in each run; `changed` says whether they differ.
 */
import type { RunLog, StepLog } from './types.js';

export interface DiffRow<T> {
  name: string;
  a: T | undefined;
  b: T | undefined;
  changed: boolean;
}

export interface StepDiff {
  name: string;
  a: { status: string; duration_ms: number | null; attempts: number } | undefined;
  b: { status: string; duration_ms: number | null; attempts: number } | undefined;
  changed: boolean;
}

export interface RunDiff {
  a: { run_id: string; status: string; dag_hash: string };
  b: { run_id: string; status: string; dag_hash: string };
  parameters: DiffRow<unknown>[];
  metrics: DiffRow<unknown>[];
  catalog: DiffRow<string>[];
  steps: StepDiff[];
}

export function diffRuns(a: RunLog, b: RunLog): RunDiff {
  const stepsA = flattenSteps(a);
  const stepsB = flattenSteps(b);
  return {
    a: { run_id: a.run_id, status: a.status, dag_hash: a.dag_hash },
    b: { run_id: b.run_id, status: b.status, dag_hash: b.dag_hash },
    parameters: rows(paramValues(a, false), paramValues(b, false)),
    metrics: rows(metricValues(stepsA, a), metricValues(stepsB, b)),
    catalog: rows(catalogHashes(stepsA), catalogHashes(stepsB)),
    steps: union(stepsA, stepsB).map((name) => {
      const sa = summary(stepsA.get(name));
      const sb = summary(stepsB.get(name));
      return { name, a: sa, b: sb, changed: sa?.status !== sb?.status || sa?.attempts !== sb?.attempts };
    }),
  };
}

/** Every step of a run by internal name, branches included, in execution order. */
export function flattenSteps(log: RunLog): Map<string, StepLog> {
  const out = new Map<string, StepLog>();
  const walk = (steps: Record<string, StepLog>) => {
    for (const step of Object.values(steps)) {
      out.set(step.internal_name, step);
      for (const branch of Object.values(step.branches)) walk(branch.steps);
    }
  };
  walk(log.steps);
  return out;
}

function summary(step: StepLog | undefined): StepDiff['a'] {
  if (!step) return undefined;
  const first = step.attempts[0];
  const last = step.attempts.at(-1);
  const ms = first && last?.end_time ? Date.parse(last.end_time) - Date.parse(first.start_time) : NaN;
  return { status: step.status, duration_ms: Number.isFinite(ms) ? ms : null, attempts: step.attempts.length };
}

function paramValues(log: RunLog, metricsOnly: boolean): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [name, p] of Object.entries(log.parameters)) if ((p.kind === 'metric') === metricsOnly) out.set(name, p.value);
  return out;
}

/** Final metric parameters, then each step's own metrics as `<step>:<name>`. */
function metricValues(steps: Map<string, StepLog>, log: RunLog): Map<string, unknown> {
  const out = paramValues(log, true);
  for (const [name, step] of steps) {
    const last = step.attempts.at(-1);
    for (const [metric, p] of Object.entries(last?.user_defined_metrics ?? {})) out.set(`${name}:${metric}`, p.value);
  }
  return out;
}

/** Hashes of the files each step put, as `<step>:<file>`. */
function catalogHashes(steps: Map<string, StepLog>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, step] of steps) for (const dc of step.data_catalog) if (dc.stage === 'put') out.set(`${name}:${dc.name}`, dc.data_hash);
  return out;
}

function union<K>(a: Map<K, unknown>, b: Map<K, unknown>): K[] {
  const keys = [...a.keys()];
  for (const k of b.keys()) if (!a.has(k)) keys.push(k);
  return keys;
}

function rows<T>(a: Map<string, T>, b: Map<string, T>): DiffRow<T>[] {
  return union(a, b).map((name) => {
    const va = a.get(name);
    const vb = b.get(name);
    return { name, a: va, b: vb, changed: JSON.stringify(va) !== JSON.stringify(vb) };
  });
}
