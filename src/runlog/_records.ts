/** Helpers shared by the run-log stores: record identity, ordering, run-id checks, errors. */
import { RunnableError } from '../errors.js';
import { mapLimit } from '../util/map-limit.js';
import type { Lease, LeaseHolder, NewRecord, RecordKind, RunHeader, RunRecord } from './types.js';

/** one string per record of a run (kinds never contain ':') */
export const recordId = (kind: RecordKind, key: string): string => `${kind}:${key}`;

/** siblings by creation; ties (two processes, same clock tick) broken by kind then key so every reader agrees */
export function bySeq(a: RunRecord, b: RunRecord): number {
  if (a.seq !== b.seq) return a.seq - b.seq;
  if (a.kind !== b.kind) return a.kind < b.kind ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** the records `create` writes: the header and the (empty) top-level parameters */
export const initialRecords = (header: RunHeader): NewRecord[] => [
  { kind: 'run', key: '', parent: '', data: header },
  { kind: 'params', key: '', parent: '', data: {} },
];

/**
 * Run ids become file and folder names, so they must be one path segment. The orchestrator
 * validates run ids with a friendlier message; this is the stores' last line of defence.
 */
export function checkRunId(runId: string): void {
  if (!runId || runId === '.' || runId === '..' || /[/\\\0]/.test(runId) || runId.startsWith('.')) {
    throw new RunnableError('E_RUN_ID', `invalid run id '${runId}': it must be a single path segment not starting with '.'`);
  }
}

export const unknownRun = (runId: string, where: string): RunnableError =>
  new RunnableError('E_RUN_ID', `unknown run id '${runId}' in ${where}`);

export const runExistsError = (runId: string, where: string): RunnableError =>
  new RunnableError('E_RUN_ID', `run id '${runId}' already exists in ${where}`);

/**
 * a lease taken by a live holder (the `acquireLease` capability); `lapsesAt`: when a holder on
 * another host loses it unless it renews it (`_lease.ts`)
 */
export function busy(runId: string, step: string | undefined, holder: LeaseHolder, lapsesAt?: string): RunnableError {
  const what = step === undefined ? `run ${runId}` : `step '${step}' of run ${runId}`;
  const lapse = lapsesAt ? ` (unless it renews its lease, it lapses at ${lapsesAt})` : '';
  return new RunnableError('E_RUN_BUSY', `${what} is being driven by pid ${holder.pid} since ${holder.since} on host ${holder.host}${lapse}`);
}

/**
 * a held lease whose `release` runs `giveUp` and whose `abandon` runs `stop` (default `giveUp`):
 * whichever comes first, once, however often either is called
 */
export function heldLease(holder: LeaseHolder, giveUp: () => void | Promise<void>, stop: () => void | Promise<void> = giveUp): Lease {
  let ended: Promise<void> | undefined;
  return {
    holder,
    release: () => (ended ??= Promise.resolve().then(giveUp)),
    abandon: () => (ended ??= Promise.resolve().then(stop)),
  };
}

/** a copy that shares nothing with the store (what a persistent store would give back) */
export const copy = <T>(value: T): T => structuredClone(value);

/** `value` if it has the shape of a record (a parsed journal line or record file), else undefined */
export function asRecord(value: unknown): RunRecord | undefined {
  const r = value as RunRecord;
  const ok =
    typeof r === 'object' && r !== null && typeof r.kind === 'string' && typeof r.key === 'string' &&
    typeof r.parent === 'string' && typeof r.seq === 'number' && typeof r.data === 'object' && r.data !== null;
  return ok ? r : undefined;
}

/** a parsed record line or record object; undefined for a torn or foreign one */
export function parseRecord(text: string): RunRecord | undefined {
  try {
    return asRecord(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** the damage sentence for a record file or object that holds no record (the `damage` capability) */
export const notARecord = (where: string): string => `${where} is not a record; skipped`;

/** what the one-record-per-file (or object) stores read of a run */
export interface ReadRecords {
  /** by seq */
  records: RunRecord[];
  /** files or objects that are there but hold no record: every write replaces a whole one, so none is half written */
  damaged: string[];
}

/** reads the run's record files or objects (`read` gives undefined for one that is gone), `atOnce` at a time */
export async function readRecords(places: string[], atOnce: number, read: (where: string) => Promise<string | undefined>): Promise<ReadRecords> {
  const texts = await mapLimit(places, atOnce, read);
  const records: RunRecord[] = [];
  const damaged: string[] = [];
  texts.forEach((text, i) => {
    if (text === undefined) return;
    const record = parseRecord(text);
    if (record) records.push(record);
    else damaged.push(notARecord(places[i]!));
  });
  return { records: records.sort(bySeq), damaged };
}

/** a record as one JSON line (no newline): what journals and record files hold */
export const recordText = (record: RunRecord): string =>
  JSON.stringify({ kind: record.kind, key: record.key, parent: record.parent, seq: record.seq, data: record.data });

/** per process, not per instance: two instances in one process must not hand out one seq twice */
let lastTimeSeq = 0;

/**
 * A seq that orders records created by different processes (the stores with concurrent writers):
 * above every seq this process gave, and at least the time in µs-sized slots of a ms.
 */
export function timeSeq(): number {
  lastTimeSeq = Math.max(lastTimeSeq + 1, Date.now() * 1000);
  return lastTimeSeq;
}

/** run ids by their latest activity, newest first; ties by id, so every reader agrees */
export const newestFirst = (latest: Map<string, number>): string[] =>
  [...latest.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([id]) => id);
