/**
 * One line of facts per run, read from the two small records every store keeps (the header
 * and the top-level parameters), never the whole run: status, tag, pipeline, start time and
 * the run's metrics. `runs list --metrics` and the report's metric-history chart use it.
 */
import { RunnableError } from '../errors.js';
import type { RunLogStore, Status } from '../runlog/types.js';
import { isInterrupted } from '../runner/retry.js';

export interface RunSummary {
  run_id: string;
  status: Status | 'INTERRUPTED' | 'UNKNOWN' | 'UNREADABLE';
  tag: string;
  dag_hash: string;
  pipeline: string;
  /** ISO time the run (its first runner) started, '' when unknown */
  started_at: string;
  /** the run's final metric parameters */
  metrics: Record<string, unknown>;
}

export interface RunFilter {
  tag?: string;
  /** ISO time or a duration back from now: 30m, 12h, 7d */
  since?: string;
  status?: string;
  dagHash?: string;
  /** stop after this many matches (runs are read most recent first) */
  limit?: number;
}

export async function summariseRuns(store: RunLogStore, filter: RunFilter = {}, now = Date.now()): Promise<RunSummary[]> {
  const since = filter.since ? sinceTime(filter.since, now) : undefined;
  const out: RunSummary[] = [];
  for (const id of await store.runs()) {
    const summary = await summariseRun(store, id);
    if (filter.tag !== undefined && summary.tag !== filter.tag) continue;
    if (filter.status && summary.status !== filter.status.toUpperCase()) continue;
    if (filter.dagHash && summary.dag_hash !== filter.dagHash) continue;
    if (since !== undefined && !(Date.parse(summary.started_at) >= since)) continue;
    out.push(summary);
    if (filter.limit && out.length >= filter.limit) break;
  }
  return out;
}

export async function summariseRun(store: RunLogStore, id: string): Promise<RunSummary> {
  const unreadable: RunSummary = { run_id: id, status: 'UNREADABLE', tag: '', dag_hash: '', pipeline: '', started_at: '', metrics: {} };
  let head, params;
  try {
    head = await store.get(id, 'run', '');
    params = await store.get(id, 'params', '');
  } catch {
    // one unreadable or foreign file in the store must not hide the other runs
    return unreadable;
  }
  if (head && typeof head.data?.status !== 'string') return unreadable;
  const runner = head?.data.run_config?.runner as { started_at?: string } | undefined;
  const metrics: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(params?.data ?? {})) if (p?.kind === 'metric') metrics[k] = p.value;
  return {
    run_id: id,
    status: head ? (isInterrupted(head.data) ? 'INTERRUPTED' : head.data.status) : 'UNKNOWN',
    tag: head?.data.tag ?? '',
    dag_hash: head?.data.dag_hash ?? '',
    pipeline: String(head?.data.run_config.pipeline ?? ''),
    started_at: runner?.started_at ?? '',
    metrics,
  };
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `--since` (and `runs prune --older-than`, named by `flag`): an ISO date/time, or a duration back from now (`90m`, `12h`, `7d`). */
export function sinceTime(text: string, now: number, flag = '--since'): number {
  const m = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(text.trim());
  if (m) return now - Number(m[1]) * UNITS[m[2]!]!;
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new RunnableError('E_USAGE', `${flag} takes an ISO date or a duration like 30m, 12h, 7d; got '${text}'`);
  return t;
}
