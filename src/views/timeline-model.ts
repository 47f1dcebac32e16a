/**
 * A run log as the rows of a Gantt chart: one row per step and per branch, in tree order, with
 * times relative to the run's start, attempts as segments, and the critical path marked (the
 * chain of steps and branches whose ends decided when the run ended). Pure: no I/O, so the
 * HTML report and the console Gantt share it.
 */
import type { DataCatalog, Parameters, RunLog, Status, StepAttempt, StepLog } from '../runlog/types.js';

export type RowKind = 'step' | 'branch';

export interface Row {
  kind: RowKind;
  /** index of the parent row, -1 at the top level */
  parent: number;
  depth: number;
  /** step name, or the branch's key (map item, loop index, parallel branch name) */
  name: string;
  internalName: string;
  /** step_type for steps; the composite's type for branches */
  type: string;
  status: Status;
  /** ms from the run's start; end -1 while it runs */
  start: number;
  end: number;
  /** attempts of a task: [start, end, status] each */
  segments: [number, number, Status][];
  critical: boolean;
  children: number[];
  /** the step log (steps only) */
  step?: StepLog;
}

export interface TimelineModel {
  rows: Row[];
  /** epoch ms of the earliest start; 0 when nothing started */
  t0: number;
  /** ms from t0 to the latest end (or `now` for a run still going) */
  span: number;
}

const time = (iso: string | undefined): number => (iso ? Date.parse(iso) : NaN);

export function timelineModel(log: RunLog, now = Date.now()): TimelineModel {
  const rows: Row[] = [];
  let t0 = Infinity;
  const scan = (steps: Record<string, StepLog>) => {
    for (const s of Object.values(steps)) {
      const first = time(s.attempts[0]?.start_time);
      if (first < t0) t0 = first;
      for (const b of Object.values(s.branches)) scan(b.steps);
    }
  };
  scan(log.steps);
  if (!Number.isFinite(t0)) t0 = now;
  const rel = (ms: number) => (Number.isFinite(ms) ? ms - t0 : -1);

  const addSteps = (steps: Record<string, StepLog>, parent: number, depth: number): number[] => {
    const ids: number[] = [];
    for (const s of Object.values(steps)) {
      const id = rows.length;
      ids.push(id);
      const segments = s.attempts.map((a: StepAttempt): [number, number, Status] => [rel(time(a.start_time)), rel(time(a.end_time)), a.status]);
      const row: Row = { kind: 'step', parent, depth, name: s.name, internalName: s.internal_name, type: s.step_type, status: s.status, start: segments[0]?.[0] ?? -1, end: -1, segments, critical: false, children: [], step: s };
      rows.push(row);
      for (const b of Object.values(s.branches)) {
        const bid = rows.length;
        row.children.push(bid);
        const branch: Row = { kind: 'branch', parent: id, depth: depth + 1, name: b.internal_name.slice(b.internal_name.lastIndexOf('.') + 1), internalName: b.internal_name, type: s.step_type, status: b.status, start: -1, end: -1, segments: [], critical: false, children: [] };
        rows.push(branch);
        branch.children = addSteps(b.steps, bid, depth + 2);
        span(branch, rows);
      }
      // a composite's first attempt opens it and its last closes it; a task's attempts likewise
      const last = segments.at(-1);
      row.end = last && last[1] >= 0 && s.status !== 'PROCESSING' ? last[1] : -1;
      if (row.children.length) span(row, rows, true);
    }
    return ids;
  };
  const top = addSteps(log.steps, -1, 0);

  let end = 0;
  for (const r of rows) end = Math.max(end, r.end, r.start);
  const running = log.status === 'PROCESSING';
  const spanMs = Math.max(1, running ? Math.max(end, now - t0) : end);
  markCritical(rows, top);
  return { rows, t0, span: spanMs };
}

/** A branch spans its steps; a composite without times of its own spans its branches. */
function span(row: Row, rows: Row[], keepOwn = false): void {
  let start = Infinity;
  let end = -1;
  let open = false;
  for (const c of row.children) {
    const child = rows[c]!;
    if (child.start >= 0) start = Math.min(start, child.start);
    if (child.end < 0 && child.start >= 0) open = true;
    end = Math.max(end, child.end);
  }
  if (!keepOwn || row.start < 0) row.start = Number.isFinite(start) ? start : -1;
  if (!keepOwn || (row.end < 0 && !open && row.status !== 'PROCESSING')) row.end = open ? -1 : end;
}

/**
 * Walking back from the end: the latest-ending sibling is critical, then the latest-ending one
 * that ended before it started, and so on. Sequential steps are all critical; of branches that
 * ran side by side, the one that ended last. Inside a critical row, the same for its children.
 */
function markCritical(rows: Row[], siblings: number[]): void {
  const endOf = (r: Row) => (r.end < 0 ? Infinity : r.end);
  const byEnd = siblings.map((i) => rows[i]!).filter((r) => r.start >= 0).sort((a, b) => endOf(b) - endOf(a));
  let bound = Infinity;
  for (const r of byEnd) {
    if (endOf(r) > bound) continue;
    r.critical = true;
    markCritical(rows, r.children);
    bound = r.start;
  }
}

/** The parts of a step's record a reader looks at, as short display strings. */
export interface StepDetails {
  message?: string;
  attempts: {
    n: number;
    status: Status;
    start: string;
    end: string;
    message?: string;
    inputs: [string, string, string][];
    outputs: [string, string, string][];
    metrics: [string, string][];
    cache?: string;
  }[];
  catalog: [string, string, string, string][];
  code?: string;
}

export function stepDetails(step: StepLog, maxValue = 300): StepDetails {
  const params = (p: Parameters): [string, string, string][] => Object.entries(p).map(([k, v]) => [k, v.kind, shortValue(v.value, v.kind, maxValue)]);
  const code = step.code_identities[0];
  return {
    ...(step.message ? { message: step.message } : {}),
    attempts: step.attempts.map((a) => ({
      n: a.attempt_number,
      status: a.status,
      start: a.start_time,
      end: a.end_time,
      ...(a.message ? { message: a.message } : {}),
      inputs: params(a.input_parameters),
      outputs: params(a.output_parameters),
      metrics: Object.entries(a.user_defined_metrics).map(([k, v]) => [k, shortValue(v.value, v.kind, maxValue)]),
      ...(a.cache ? { cache: cacheText(a.cache) } : {}),
    })),
    catalog: step.data_catalog.map((d: DataCatalog): [string, string, string, string] => [d.stage, d.name, d.data_hash, d.catalog_relative_path]),
    ...(code ? { code: `${code.code_identifier_type} ${code.code_identifier}${code.code_identifier_dependable ? '' : ' (uncommitted changes)'}${code.code_identifier_url ? ` ${code.code_identifier_url}` : ''}` } : {}),
  };
}

function cacheText(c: NonNullable<StepAttempt['cache']>): string {
  if (c.status === 'hit') return `hit${c.source_run ? ` (from run ${c.source_run})` : ''}`;
  return `miss${c.reason ? `: ${c.reason}` : ''}`;
}

export function shortValue(value: unknown, kind: string, max: number): string {
  const text = kind === 'object' ? `<object ${String(value)}>` : (JSON.stringify(value) ?? 'undefined');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
