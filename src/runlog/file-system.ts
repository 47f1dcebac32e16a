/**
 * `file-system` (the default): one JSON file per run, `<log_folder>/<run_id>.json`, holding the
 * RunLog of SPEC §5.
 *
 * Rewriting a growing file at every step would cost O(n²) over a run, so writes go elsewhere:
 * - each `put` appends one JSON line (the record) to `<log_folder>/<run_id>.journal`, through a
 *   file descriptor opened once, and updates an in-memory copy of the run's records;
 * - the JSON file is materialised from that copy (temp file + rename, so readers never see half
 *   a file; indented up to 5,000 records, compact beyond) on `flush`, and from `put` at most every 2 s (longer when materialising is slow: at
 *   least 10× its last duration), then the journal is truncated;
 * - a reader takes the JSON file, disassembled into records, then replays the journal over it.
 *   Records are upserts, so a crash between the rename and the truncation replays harmlessly,
 *   and a torn last line (a process killed mid-write) is skipped.
 * No fsync: the crash model is a killed process, whose writes the OS page cache keeps.
 *
 * One writer at a time (`concurrentWriters: false`), but writers may take turns, from other
 * processes (the `emulate` executor runs each step in its own) or other instances: before
 * trusting its copy, a store checks the two files are as it left them (a stat and an fstat) and
 * re-reads them if not.
 *
 * @example
 * # runnable-config.yaml
 * run-log-store:
 *   type: file-system
 *   config:
 *     log_folder: .run_log_store   # the default; relative to the working directory
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  readSync,
  truncateSync,
  type Stats,
} from 'node:fs';
import { join } from 'node:path';
import { RunnableError } from '../errors.js';
import { isErrno, statOrUndefined, writeAll, writeFileAtomic } from './_fs.js';
import { RecordSet } from './_record-set.js';
import { checkRunLogShape } from './_shape.js';
import { checkRunId, initialRecords, newestFirst, runExistsError, unknownRun } from './_records.js';
import { acquireFileLease, deleteFileLeases } from './_fs-lease.js';
import type { LeaseTiming } from './_lease.js';
import type { Lease, LeaseHolder, NewRecord, RecordKind, RunHeader, RunLog, RunLogStore, RunRecord } from './types.js';

export interface FileSystemStoreOptions {
  /** absolute path of the folder holding `<run_id>.json` and `<run_id>.journal` */
  logFolder: string;
  /** least time between two materialisations triggered by `put`, in ms; default 2000 */
  materialiseEveryMs?: number;
  /** how leases are renewed and lapse (`_lease.ts`); default LEASE_TIMING */
  leaseTiming?: LeaseTiming;
}

/** what this store last saw of a file, to notice another writer */
interface FileMark {
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

interface RunState {
  /** every record of the run */
  set: RecordSet;
  /** the journal, opened for appending on the first write and closed by `flush` */
  fd: number | undefined;
  /** the journal's size as far as `records` knows */
  journalBytes: number;
  /** the JSON file as `records` knows it; undefined when there is none */
  json: FileMark | undefined;
  /** Date.now() after which `put` materialises again */
  materialiseAt: number;
}

export class FileSystemRunLogStore implements RunLogStore {
  readonly type = 'file-system';
  readonly concurrentWriters = false;
  readonly sharedAcrossProcesses = true;
  readonly logFolder: string;
  private readonly every: number;
  private readonly leaseTiming?: LeaseTiming;
  private readonly cache = new Map<string, RunState>();

  constructor(options: FileSystemStoreOptions) {
    this.logFolder = options.logFolder;
    this.every = options.materialiseEveryMs ?? 2000;
    this.leaseTiming = options.leaseTiming;
  }

  location(runId: string): string {
    return this.jsonPath(runId);
  }

  async create(header: RunHeader): Promise<void> {
    const runId = header.run_id;
    checkRunId(runId);
    mkdirSync(this.logFolder, { recursive: true });
    if (this.cache.has(runId) || statOrUndefined(this.jsonPath(runId))) throw runExistsError(runId, this.logFolder);
    let fd: number;
    try {
      fd = openSync(this.journalPath(runId), 'ax+'); // exclusive: of two processes creating one run id, one fails
    } catch (e) {
      if (isErrno(e, 'EEXIST')) throw runExistsError(runId, this.logFolder);
      throw e;
    }
    const state: RunState = { set: new RecordSet(), fd, journalBytes: 0, json: undefined, materialiseAt: 0 };
    this.cache.set(runId, state);
    try {
      for (const record of initialRecords(header)) this.append(state, record, header.run_id);
      this.materialise(runId, state); // the SPEC's file exists from the start
    } catch (e) {
      // a full disk before the run began: leave no half-made run behind
      this.cache.delete(runId);
      closeSync(fd);
      for (const file of [this.journalPath(runId), this.jsonPath(runId)]) rmSync(file, { force: true });
      throw e;
    }
  }

  async exists(runId: string): Promise<boolean> {
    checkRunId(runId);
    return this.cache.has(runId) || !!statOrUndefined(this.jsonPath(runId)) || !!statOrUndefined(this.journalPath(runId));
  }

  async put(runId: string, record: NewRecord): Promise<void> {
    const state = this.writable(runId);
    this.append(state, record, runId);
    if (Date.now() < state.materialiseAt) return;
    try {
      this.materialise(runId, state);
    } catch {
      // the record is on the journal, so this put stands; materialising is tried again later
      // (`flush` reports it if it still fails)
      state.materialiseAt = Date.now() + this.every;
    }
  }

  async get<K extends RecordKind>(runId: string, kind: K, key: string): Promise<Extract<RunRecord, { kind: K }> | undefined> {
    return this.readable(runId)?.set.get(kind, key);
  }

  async list(runId: string): Promise<RunRecord[]> {
    checkRunId(runId);
    // a cold read (runs show, timeline, diff): the records just parsed are handed over, not kept
    const state = this.cache.has(runId) ? this.readable(runId) : this.load(runId);
    if (!state) throw unknownRun(runId, this.logFolder);
    return state.set.list(!this.cache.has(runId));
  }

  /** a cold read of a run whose journal is empty: the materialised file is the RunLog (it was written by `assemble`) */
  async readRunLog(runId: string): Promise<RunLog | undefined> {
    checkRunId(runId);
    if (this.cache.has(runId)) return undefined;
    const jsonPath = this.jsonPath(runId);
    const before = statOrUndefined(jsonPath);
    if (!before || (statOrUndefined(this.journalPath(runId))?.size ?? 0) > 0) return undefined;
    const log = readRunLog(jsonPath);
    // rewritten while it was read (a writer materialised): the record path reads it consistently
    return sameFile(before, statOrUndefined(jsonPath)) ? log : undefined;
  }

  async runs(): Promise<string[]> {
    let names: string[];
    try {
      names = readdirSync(this.logFolder);
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return [];
      throw e;
    }
    const latest = new Map<string, number>();
    for (const name of names) {
      if (name.startsWith('.')) continue; // temp files
      const runId = name.endsWith('.json') ? name.slice(0, -5) : name.endsWith('.journal') ? name.slice(0, -8) : '';
      if (!runId) continue;
      // lstat: a symlink or folder named like a run is not one of this store's files
      const stat = lstatSync(join(this.logFolder, name), { throwIfNoEntry: false });
      if (!stat?.isFile()) continue;
      latest.set(runId, Math.max(latest.get(runId) ?? 0, stat.mtimeMs));
    }
    return newestFirst(latest);
  }

  async flush(runId: string): Promise<void> {
    const state = this.readable(runId);
    if (!state) throw unknownRun(runId, this.logFolder);
    try {
      if (state.journalBytes > 0 || !state.json) this.materialise(runId, state);
    } finally {
      // a failed materialisation (a full disk) leaves every record in the journal, which readers replay
      if (state.fd !== undefined) {
        closeSync(state.fd);
        state.fd = undefined;
      }
    }
  }

  async damage(runId: string): Promise<string[]> {
    return [...(this.readable(runId)?.set.damaged ?? [])];
  }

  /** the run's (or a step's) one-live-holder lease: numbered O_EXCL files under `<log_folder>/.leases/` (`_lease.ts`) */
  async acquireLease(runId: string, holder: LeaseHolder, step?: string): Promise<Lease> {
    if (!(await this.exists(runId))) throw unknownRun(runId, this.logFolder);
    return acquireFileLease(this.logFolder, runId, holder, step, this.leaseTiming);
  }

  /** Capability: the run's two files, the temp files a killed writer left of them (`writeFileAtomic`), and its lease entries. */
  async deleteRun(runId: string): Promise<void> {
    if (!(await this.exists(runId))) throw unknownRun(runId, this.logFolder);
    const state = this.cache.get(runId);
    if (state?.fd !== undefined) closeSync(state.fd);
    this.cache.delete(runId);
    // `.<id>.json.<pid>.<n>.tmp`: the exact shape, so that run `a` never takes run `a.json`'s temp files
    const isTemp = (name: string) =>
      ['json', 'journal'].some((ext) => name.startsWith(`.${runId}.${ext}.`) && /^\d+\.\d+\.tmp$/.test(name.slice(runId.length + ext.length + 3)));
    for (const name of readdirSync(this.logFolder)) if (isTemp(name)) rmSync(join(this.logFolder, name), { force: true });
    rmSync(this.jsonPath(runId), { force: true });
    rmSync(this.journalPath(runId), { force: true });
    deleteFileLeases(this.logFolder, runId);
  }

  private jsonPath(runId: string): string {
    return join(this.logFolder, `${runId}.json`);
  }

  private journalPath(runId: string): string {
    return join(this.logFolder, `${runId}.journal`);
  }

  /**
   * One line on the journal, then the in-memory copy: O(size of the record). A line that could
   * not be written whole (a full disk writes what fits, then fails) is cut off again, so that the
   * next line (once there is room) does not join it into damage, and the copy stays as the files are.
   */
  private append(state: RunState, record: NewRecord, runId: string): void {
    const { line, add } = state.set.prepare(record);
    let bytes: number;
    try {
      bytes = writeAll(state.fd!, line + '\n', this.journalPath(runId));
    } catch (e) {
      try {
        ftruncateSync(state.fd!, state.journalBytes);
      } catch {
        /* the torn line stays: a reader skips it as the last line, the next writer cuts it off when it opens the journal */
      }
      throw e;
    }
    add();
    state.journalBytes += bytes;
  }

  /** the run's current state with its journal open for appending; throws for an unknown run */
  private writable(runId: string): RunState {
    const state = this.readable(runId);
    if (!state) throw unknownRun(runId, this.logFolder);
    if (state.fd === undefined) {
      // O_NOFOLLOW: a journal that is a symlink is not written through
      const fd = openSync(this.journalPath(runId), constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o666);
      state.fd = fd;
      const size = fstatSync(fd).size;
      if (size !== state.journalBytes) this.reload(runId, state); // written since we read it
      if (state.journalBytes > 0) {
        // a torn last line (a writer killed mid-line) must not swallow the next record: cut it
        // off (its record never was), so that it does not read as damage in the middle later
        const end = lastLineEnd(fd, state.journalBytes);
        if (end < state.journalBytes) {
          ftruncateSync(fd, end);
          state.journalBytes = end;
        }
      }
    }
    return state;
  }

  /** the run's current state (cached, checked against the files), or undefined for an unknown run */
  private readable(runId: string): RunState | undefined {
    checkRunId(runId);
    let state = this.cache.get(runId);
    if (state) {
      if (!this.isCurrent(runId, state)) this.reload(runId, state);
      return state;
    }
    state = this.load(runId);
    if (state) this.cache.set(runId, state);
    return state;
  }

  /** true when nobody but this store has written the run's files since it last read or wrote them */
  private isCurrent(runId: string, state: RunState): boolean {
    if (!sameFile(statOrUndefined(this.jsonPath(runId)), state.json)) return false;
    const journal = state.fd !== undefined ? fstatSync(state.fd) : statOrUndefined(this.journalPath(runId));
    return (journal?.size ?? 0) === state.journalBytes;
  }

  private reload(runId: string, state: RunState): void {
    const fresh = this.load(runId);
    if (!fresh) throw unknownRun(runId, this.logFolder); // its files were deleted under us
    Object.assign(state, { ...fresh, fd: state.fd, materialiseAt: state.materialiseAt });
  }

  /** the JSON file disassembled, then the journal replayed over it */
  private load(runId: string): RunState | undefined {
    const jsonPath = this.jsonPath(runId);
    const journalPath = this.journalPath(runId);
    for (let attempt = 0; ; attempt++) {
      const before = statOrUndefined(jsonPath);
      const set = RecordSet.fromRunLog(before ? readRunLog(jsonPath) : undefined);
      let journal: Buffer | undefined;
      try {
        journal = readRegularFile(journalPath, null);
      } catch (e) {
        if (isErrno(e, 'ELOOP') || e instanceof NotRegular) throw new RunnableError('E_FILE', 'not a readable run-log journal: it is not a regular file', { file: journalPath });
        if (!isErrno(e, 'ENOENT')) throw e;
      }
      if (!before && !journal) return undefined;
      const after = statOrUndefined(jsonPath);
      // a writer materialised between our two reads (so the journal we read may miss records
      // now only in the new file): read again
      if (!sameFile(before, after) && attempt < 5) continue;
      if (journal) set.replayLines(journal, journalPath);
      return { set, fd: undefined, journalBytes: journal?.length ?? 0, json: mark(after), materialiseAt: Date.now() + this.every };
    }
  }

  /** writes `<run_id>.json` from the in-memory copy, then empties the journal */
  private materialise(runId: string, state: RunState): void {
    if (!this.isCurrent(runId, state)) this.reload(runId, state);
    const started = Date.now();
    const jsonPath = this.jsonPath(runId);
    writeFileAtomic(jsonPath, state.set.materialise());
    state.json = mark(statOrUndefined(jsonPath));
    if (state.fd !== undefined) ftruncateSync(state.fd, 0);
    else if (state.journalBytes > 0) truncateSync(this.journalPath(runId), 0);
    state.journalBytes = 0;
    const took = Date.now() - started;
    state.materialiseAt = Date.now() + Math.max(this.every, 10 * took);
  }
}

/** the offset just after the last newline in the first `size` bytes of `fd` (0 if none) */
function lastLineEnd(fd: number, size: number): number {
  const chunk = Buffer.alloc(64 * 1024);
  for (let end = size; end > 0; ) {
    const start = Math.max(0, end - chunk.length);
    const n = readSync(fd, chunk, 0, end - start, start);
    const at = chunk.subarray(0, n).lastIndexOf(0x0a);
    if (at !== -1) return start + at + 1;
    end = start;
  }
  return 0;
}

/**
 * The run's JSON file, checked: a regular file (a symlink in the folder is not followed, so its
 * target is never read or echoed), valid JSON (the parser's message quotes the text: not shown),
 * with the shape of a RunLog (./_shape.ts).
 */
function readRunLog(path: string): RunLog {
  const fail = (why: string) => new RunnableError('E_FILE', `not a readable run log: ${why}`, { file: path });
  let text: string;
  try {
    text = readRegularFile(path);
  } catch (e) {
    if (isErrno(e, 'ELOOP')) throw fail('it is a symbolic link (run logs are regular files)');
    if (isErrno(e, 'EISDIR') || e instanceof NotRegular) throw fail('it is not a regular file');
    throw e;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw fail('it is not valid JSON');
  }
  const checked = checkRunLogShape(value);
  if ('problem' in checked) throw fail(checked.problem);
  return checked.log;
}

class NotRegular extends Error {}

/** A file's text (or bytes), refusing symlinks (O_NOFOLLOW) and anything but a regular file. */
function readRegularFile(path: string): string;
function readRegularFile(path: string, encoding: null): Buffer;
function readRegularFile(path: string, encoding: 'utf8' | null = 'utf8'): string | Buffer {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    if (!fstatSync(fd).isFile()) throw new NotRegular();
    return encoding ? readFileSync(fd, encoding) : readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

const mark = (stat: Stats | undefined): FileMark | undefined =>
  stat && { ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs };

function sameFile(stat: Stats | FileMark | undefined, known: FileMark | undefined): boolean {
  if (!stat || !known) return !stat && !known;
  return stat.ino === known.ino && stat.size === known.size && stat.mtimeMs === known.mtimeMs && stat.ctimeMs === known.ctimeMs;
}
