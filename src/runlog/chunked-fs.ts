/**
 * `chunked-fs`: a folder per run, `<log_folder>/<run_id>/`, holding one small JSON file per
 * record (`run.json`, `params.json`, `step-<internal name>.json`, `branch-<internal name>.json`,
 * see `_names.ts`). Each record has one writer, and each write replaces one whole file
 * atomically (temp file + rename in the same folder), so processes writing different records
 * of one run at once never lose each other's writes (`concurrentWriters: true`). Reading the
 * run reads every file; it assembles to the same RunLog the other stores give.
 *
 * `seq` must order records created by different processes, so it is time-based: at least
 * `Date.now() * 1000`, and above the last seq this process gave. A record keeps its seq when
 * it is rewritten.
 *
 * @example
 * # runnable-config.yaml
 * run-log-store:
 *   type: chunked-fs
 *   config:
 *     log_folder: .run_log_store   # the default; relative to the working directory
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isErrno, statOrUndefined, writeFileAtomic } from './_fs.js';
import { recordFileName } from './_names.js';
import { checkRunId, initialRecords, newestFirst, parseRecord, readRecords, recordText, runExistsError, timeSeq, unknownRun, type ReadRecords } from './_records.js';
import { acquireFileLease, deleteFileLeases } from './_fs-lease.js';
import type { LeaseTiming } from './_lease.js';
import type { Lease, LeaseHolder, NewRecord, RecordKind, RunHeader, RunLogStore, RunRecord } from './types.js';

export interface ChunkedFsStoreOptions {
  /** absolute path of the folder holding one folder per run */
  logFolder: string;
  /** how leases are renewed and lapse (`_lease.ts`); default LEASE_TIMING */
  leaseTiming?: LeaseTiming;
}

export class ChunkedFsRunLogStore implements RunLogStore {
  readonly type = 'chunked-fs';
  readonly concurrentWriters = true;
  readonly sharedAcrossProcesses = true;
  readonly logFolder: string;
  /** per run, the seq of each record file this process has written or read (a seq never changes) */
  private readonly seqs = new Map<string, Map<string, number>>();

  private readonly leaseTiming?: LeaseTiming;

  constructor(options: ChunkedFsStoreOptions) {
    this.logFolder = options.logFolder;
    this.leaseTiming = options.leaseTiming;
  }

  location(runId: string): string {
    return this.runDir(runId);
  }

  async create(header: RunHeader): Promise<void> {
    const runId = header.run_id;
    checkRunId(runId);
    mkdirSync(this.logFolder, { recursive: true });
    try {
      mkdirSync(this.runDir(runId)); // exclusive: of two processes creating one run id, one fails
    } catch (e) {
      if (isErrno(e, 'EEXIST')) throw runExistsError(runId, this.logFolder);
      throw e;
    }
    for (const record of initialRecords(header)) await this.put(runId, record);
  }

  async exists(runId: string): Promise<boolean> {
    checkRunId(runId);
    return statOrUndefined(this.runDir(runId))?.isDirectory() ?? false;
  }

  async put(runId: string, record: NewRecord): Promise<void> {
    checkRunId(runId);
    const name = recordFileName(record.kind, record.key);
    const path = join(this.runDir(runId), name);
    let known = this.seqs.get(runId);
    if (!known) this.seqs.set(runId, (known = new Map()));
    let seq = known.get(name);
    if (seq === undefined) seq = readRecord(path)?.seq ?? timeSeq();
    const content = recordText({ ...record, seq } as RunRecord);
    try {
      writeFileAtomic(path, content + '\n');
    } catch (e) {
      if (isErrno(e, 'ENOENT') && !statOrUndefined(this.runDir(runId))) throw unknownRun(runId, this.logFolder);
      throw e;
    }
    known.set(name, seq);
  }

  async get<K extends RecordKind>(runId: string, kind: K, key: string): Promise<Extract<RunRecord, { kind: K }> | undefined> {
    checkRunId(runId);
    const name = recordFileName(kind, key);
    const record = readRecord(join(this.runDir(runId), name));
    if (!record || record.kind !== kind || record.key !== key) return undefined;
    this.seqs.get(runId)?.set(name, record.seq);
    return record as Extract<RunRecord, { kind: K }>;
  }

  async list(runId: string): Promise<RunRecord[]> {
    return (await this.read(runId)).records;
  }

  /** record files of the run that do not hold a record */
  async damage(runId: string): Promise<string[]> {
    return (await this.read(runId)).damaged;
  }

  private async read(runId: string): Promise<ReadRecords> {
    checkRunId(runId);
    const dir = this.runDir(runId);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (e) {
      if (isErrno(e, 'ENOENT') || isErrno(e, 'ENOTDIR')) throw unknownRun(runId, this.logFolder);
      throw e;
    }
    return readRecords(recordFiles(names).map((name) => join(dir, name)), 1, async (path) => readText(path));
  }

  async runs(): Promise<string[]> {
    let entries;
    try {
      entries = readdirSync(this.logFolder, { withFileTypes: true });
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return [];
      throw e;
    }
    const found = new Map<string, number>();
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const dir = join(this.logFolder, entry.name);
      if (!statOrUndefined(join(dir, 'run.json'))) continue; // not a run (or one being created)
      found.set(entry.name, statOrUndefined(dir)?.mtimeMs ?? 0);
    }
    return newestFirst(found);
  }

  async flush(runId: string): Promise<void> {
    // every put already replaced one whole file
    if (!(await this.exists(runId))) throw unknownRun(runId, this.logFolder);
  }

  /** the run's (or a step's) one-live-holder lease: numbered O_EXCL files under `<log_folder>/.leases/` (`_lease.ts`) */
  async acquireLease(runId: string, holder: LeaseHolder, step?: string): Promise<Lease> {
    if (!(await this.exists(runId))) throw unknownRun(runId, this.logFolder);
    return acquireFileLease(this.logFolder, runId, holder, step, this.leaseTiming);
  }

  /**
   * Capability: the run's folder, `run.json` last (so that a deletion cut short leaves a run
   * that `runs()` still lists and a second `deleteRun` finishes), then its lease entries.
   */
  async deleteRun(runId: string): Promise<void> {
    if (!(await this.exists(runId))) throw unknownRun(runId, this.logFolder);
    this.seqs.delete(runId);
    const dir = this.runDir(runId);
    const header = recordFileName('run', '');
    for (const name of readdirSync(dir)) if (name !== header) rmSync(join(dir, name), { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
    deleteFileLeases(this.logFolder, runId);
  }

  private runDir(runId: string): string {
    return join(this.logFolder, runId);
  }
}

const recordFiles = (names: string[]): string[] => names.filter((name) => !name.startsWith('.') && name.endsWith('.json')); // not temp files, strays

/** a file's text, or undefined if there is none */
function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (isErrno(e, 'ENOENT') || isErrno(e, 'ENOTDIR')) return undefined;
    throw e;
  }
}

/** the record in a file, or undefined if there is none (or it is not a record) */
function readRecord(path: string): RunRecord | undefined {
  const text = readText(path);
  return text === undefined ? undefined : parseRecord(text);
}
