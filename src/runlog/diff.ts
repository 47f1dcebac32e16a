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
  /** the step's type (task, map, ..., success, fail: a terminal step, reached rather than run) */
  step_type: string;
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
  const [metricsA, metricsB] = metricValues(stepsA, a, stepsB, b);
  return {
    a: { run_id: a.run_id, status: a.status, dag_hash: a.dag_hash },
    b: { run_id: b.run_id, status: b.status, dag_hash: b.dag_hash },
    parameters: rows(paramValues(a, false), paramValues(b, false)),
    metrics: rows(metricsA, metricsB),
    catalog: rows(catalogHashes(stepsA), catalogHashes(stepsB)),
    steps: union(stepsA, stepsB).map((name) => {
      const sa = summary(stepsA.get(name));
      const sb = summary(stepsB.get(name));
      const type = (stepsA.get(name) ?? stepsB.get(name))!.step_type;
      return { name, step_type: type, a: sa, b: sb, changed: sa?.status !== sb?.status || sa?.attempts !== sb?.attempts };
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

/** status, the last attempt's own duration (not the time since the first: a retry may come days later), attempts */
function summary(step: StepLog | undefined): StepDiff['a'] {
  if (!step) return undefined;
  const last = step.attempts.at(-1);
  const ms = last?.end_time ? Date.parse(last.end_time) - Date.parse(last.start_time) : NaN;
  return { status: step.status, duration_ms: Number.isFinite(ms) ? ms : null, attempts: step.attempts.length };
}

function paramValues(log: RunLog, metricsOnly: boolean): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [name, p] of Object.entries(log.parameters)) if ((p.kind === 'metric') === metricsOnly) out.set(name, p.value);
  return out;
}

/**
 * Each metric once: by its name when one step records it (its value as the run ended: the final
 * metric parameter, else that step's), and as `<step>:<name>` for each step when several do (map
 * iterations, a loop's rounds), beside the final `<name>` if the run has one.
 */
function metricValues(stepsA: Map<string, StepLog>, a: RunLog, stepsB: Map<string, StepLog>, b: RunLog): [Map<string, unknown>, Map<string, unknown>] {
  const recorded = (steps: Map<string, StepLog>) => {
    const out = new Map<string, Map<string, unknown>>(); // metric -> step -> value
    for (const [name, step] of steps) {
      for (const [metric, p] of Object.entries(step.attempts.at(-1)?.user_defined_metrics ?? {})) {
        if (!out.has(metric)) out.set(metric, new Map());
        out.get(metric)!.set(name, p.value);
      }
    }
    return out;
  };
  const [ra, rb] = [recorded(stepsA), recorded(stepsB)];
  const [fa, fb] = [paramValues(a, true), paramValues(b, true)];
  const steps = (metric: string) => new Set([...(ra.get(metric)?.keys() ?? []), ...(rb.get(metric)?.keys() ?? [])]);
  const values = (final: Map<string, unknown>, rec: Map<string, Map<string, unknown>>, names: Iterable<string>) => {
    const out = new Map<string, unknown>();
    for (const metric of names) {
      const by = steps(metric);
      if (by.size <= 1) {
        const only = [...by][0];
        const v = final.has(metric) ? final.get(metric) : only === undefined ? undefined : rec.get(metric)?.get(only);
        if (final.has(metric) || (only !== undefined && rec.get(metric)?.has(only))) out.set(metric, v);
      } else {
        if (final.has(metric)) out.set(metric, final.get(metric));
        for (const step of by) if (rec.get(metric)?.has(step)) out.set(`${step}:${metric}`, rec.get(metric)!.get(step));
      }
    }
    return out;
  };
  const names = [...new Set([...fa.keys(), ...ra.keys(), ...fb.keys(), ...rb.keys()])];
  return [values(fa, ra, names), values(fb, rb, names)];
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
