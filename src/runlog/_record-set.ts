/** The in-memory records of one run, as the journalled single-writer stores (`file-system`, `s3`) keep them. */
import { assemble, disassemble } from './assemble.js';
import { bySeq, copy, notARecord, parseRecord, recordId, recordText } from './_records.js';
import type { NewRecord, RecordKind, RunLog, RunRecord } from './types.js';

/**
 * Runs up to this many records are materialised indented, for people; bigger ones compact, which
 * halves the document and the time to write it (an indented 10,000-item map is about 22 MB).
 */
const PRETTY_MAX_RECORDS = 5000;

/**
 * The records of one run held in memory by a single-writer store that keeps a journal
 * (`file-system`, `s3`): loaded from the materialised RunLog, journal records replayed over it
 * (upserts: a record keeps its seq), new records added with the next seq, and the whole
 * materialised back into one RunLog document. What a replay had to skip as damaged is kept in
 * `damaged`, one sentence each (the stores' `damage` capability).
 */
export class RecordSet {
  readonly records = new Map<string, RunRecord>();
  nextSeq = 0;
  /** journal lines or objects skipped because they hold no record */
  readonly damaged: string[] = [];

  /** the materialised run log, disassembled, seqs in its order */
  static fromRunLog(log: RunLog | undefined): RecordSet {
    const set = new RecordSet();
    if (log) for (const record of disassemble(log)) set.records.set(recordId(record.kind, record.key), { ...record, seq: set.nextSeq++ } as RunRecord);
    return set;
  }

  /** gives the record its seq (kept from an earlier version) and returns its journal line */
  add(record: NewRecord): string {
    const { line, add } = this.prepare(record);
    add();
    return line;
  }

  /**
   * The record's journal line, and `add` to take it into the set once the line is stored: a
   * line that could not be stored (a full disk, a failed PUT) leaves the set as the store is.
   */
  prepare(record: NewRecord): { line: string; add: () => void } {
    const id = recordId(record.kind, record.key);
    const seq = this.records.get(id)?.seq ?? this.nextSeq;
    const line = recordText({ ...record, seq } as RunRecord);
    const add = () => {
      // parsed back from the line: shares nothing with the caller and equals what a replay gives
      this.records.set(id, JSON.parse(line) as RunRecord);
      this.nextSeq = Math.max(this.nextSeq, seq + 1);
    };
    return { line, add };
  }

  /** upserts one journal record (an existing record keeps its seq) */
  replay(record: RunRecord): void {
    const id = recordId(record.kind, record.key);
    const existing = this.records.get(id);
    if (existing) record.seq = existing.seq;
    this.records.set(id, record);
    this.nextSeq = Math.max(this.nextSeq, record.seq + 1);
  }

  /** replays one journal object (a whole record: a PUT is atomic, so one that does not parse is damage) */
  replayText(text: string, where: string): void {
    const record = parseRecord(text);
    if (record) this.replay(record);
    else this.damaged.push(notARecord(where));
  }

  /**
   * Replays a journal of JSON lines (`where` names it), skipping lines that do not parse: a torn
   * last line (a writer killed mid-line) silently, any other as damage, with its 1-based number.
   */
  replayLines(journal: Buffer, where: string): void {
    let start = 0;
    for (let line = 1; start < journal.length; line++) {
      let end = journal.indexOf(0x0a, start);
      const torn = end === -1;
      if (torn) end = journal.length;
      if (end > start) {
        const record = parseRecord(journal.toString('utf8', start, end));
        if (record) this.replay(record);
        else if (!torn) this.damaged.push(`${where}: line ${line} is not a record; skipped`);
      }
      start = end + 1;
    }
  }

  get<K extends RecordKind>(kind: K, key: string): Extract<RunRecord, { kind: K }> | undefined {
    const record = this.records.get(recordId(kind, key));
    return record && (copy(record) as Extract<RunRecord, { kind: K }>);
  }

  /**
   * Every record, in seq order: copies that share nothing with the set, unless `handOver` (the
   * caller is the set's last user, so the records need no defensive copy: a cold read of a
   * 10,000-step run spends a fifth of its time copying otherwise).
   */
  list(handOver = false): RunRecord[] {
    const records = [...this.records.values()];
    return (handOver ? records : copy(records)).sort(bySeq);
  }

  /** the SPEC's RunLog document */
  materialise(): string {
    const indent = this.records.size <= PRETTY_MAX_RECORDS ? 2 : undefined;
    return JSON.stringify(assemble([...this.records.values()]), null, indent) + '\n';
  }
}
