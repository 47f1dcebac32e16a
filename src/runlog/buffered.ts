/**
 * `buffered`: the run log lives in this process's memory and goes when it exits. For tests,
 * notebooks and runs whose log nobody reads afterwards.
 *
 * @example
 * # runnable-config.yaml
 * run-log-store:
 *   type: buffered
 */
import { busy, bySeq, heldLease, checkRunId, copy, initialRecords, recordId, runExistsError, unknownRun } from './_records.js';
import type { Lease, LeaseHolder, NewRecord, RecordKind, RunHeader, RunLogStore, RunRecord } from './types.js';

interface BufferedRun {
  records: Map<string, RunRecord>;
  /** bumped on every write; `runs()` orders by it */
  touched: number;
}

export class BufferedRunLogStore implements RunLogStore {
  readonly type = 'buffered';
  readonly concurrentWriters = false;
  readonly sharedAcrossProcesses = false;
  private readonly store = new Map<string, BufferedRun>();
  /** live leases by run id + NUL + step ('' for the run's); only this process can drive a buffered run */
  private readonly leases = new Map<string, LeaseHolder>();
  private seq = 0;
  private clock = 0;

  location(runId: string): string {
    return `memory (buffered run log store), run '${runId}'`;
  }

  async create(header: RunHeader): Promise<void> {
    checkRunId(header.run_id);
    if (this.store.has(header.run_id)) throw runExistsError(header.run_id, 'memory (buffered run log store)');
    this.store.set(header.run_id, { records: new Map(), touched: ++this.clock });
    for (const record of initialRecords(header)) await this.put(header.run_id, record);
  }

  async exists(runId: string): Promise<boolean> {
    return this.store.has(runId);
  }

  async put(runId: string, record: NewRecord): Promise<void> {
    const run = this.run(runId);
    const id = recordId(record.kind, record.key);
    const seq = run.records.get(id)?.seq ?? this.seq++;
    // a JSON round trip, as the persistent stores do: the caller keeps no handle on the stored
    // value, and what reads back is what a file would give (undefined fields dropped)
    run.records.set(id, JSON.parse(JSON.stringify({ ...record, seq })) as RunRecord);
    run.touched = ++this.clock;
  }

  async get<K extends RecordKind>(runId: string, kind: K, key: string): Promise<Extract<RunRecord, { kind: K }> | undefined> {
    const record = this.store.get(runId)?.records.get(recordId(kind, key));
    return record && (copy(record) as Extract<RunRecord, { kind: K }>);
  }

  async list(runId: string): Promise<RunRecord[]> {
    return copy([...this.run(runId).records.values()]).sort(bySeq);
  }

  async runs(): Promise<string[]> {
    return [...this.store.entries()].sort((a, b) => b[1].touched - a[1].touched).map(([id]) => id);
  }

  async flush(runId: string): Promise<void> {
    this.run(runId);
  }

  async acquireLease(runId: string, holder: LeaseHolder, step?: string): Promise<Lease> {
    this.run(runId);
    const key = `${runId}\0${step ?? ''}`;
    const current = this.leases.get(key);
    if (current) throw busy(runId, step, current);
    this.leases.set(key, holder);
    return heldLease(holder, () => void this.leases.delete(key));
  }

  /** Capability: the run's records and its leases go from memory. */
  async deleteRun(runId: string): Promise<void> {
    this.run(runId);
    this.store.delete(runId);
    for (const key of this.leases.keys()) if (key.startsWith(`${runId}\0`)) this.leases.delete(key);
  }

  private run(runId: string): BufferedRun {
    const run = this.store.get(runId);
    if (!run) throw unknownRun(runId, 'memory (buffered run log store)');
    return run;
  }
}
