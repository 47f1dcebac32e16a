/** Helpers shared by the run-log stores: record identity, ordering, run-id checks, errors. */
import { RunnableError } from '../errors.js';
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

/** a lease taken by a live holder (the `acquireLease` capability) */
export function busy(runId: string, step: string | undefined, holder: LeaseHolder): RunnableError {
  const what = step === undefined ? `run ${runId}` : `step '${step}' of run ${runId}`;
  return new RunnableError('E_RUN_BUSY', `${what} is being driven by pid ${holder.pid} since ${holder.since} on host ${holder.host}`);
}

/** a held lease whose `release` runs `giveUp` once, however often it is called */
export function heldLease(holder: LeaseHolder, giveUp: () => void): Lease {
  let released = false;
  return {
    holder,
    release: async () => {
      if (released) return;
      released = true;
      giveUp();
    },
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
