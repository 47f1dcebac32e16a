/** The in-memory records of one run, as the journalled single-writer stores (`file-system`, `s3`) keep them. */
import { assemble, disassemble } from './assemble.js';
import { bySeq, copy, parseRecord, recordId, recordText } from './_records.js';
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
 * materialised back into one RunLog document.
 */
export class RecordSet {
  readonly records = new Map<string, RunRecord>();
  nextSeq = 0;

  /** the materialised run log, disassembled, seqs in its order */
  static fromRunLog(log: RunLog | undefined): RecordSet {
    const set = new RecordSet();
    if (log) for (const record of disassemble(log)) set.records.set(recordId(record.kind, record.key), { ...record, seq: set.nextSeq++ } as RunRecord);
    return set;
  }

  /** gives the record its seq (kept from an earlier version) and returns its journal line */
  add(record: NewRecord): string {
    const id = recordId(record.kind, record.key);
    const seq = this.records.get(id)?.seq ?? this.nextSeq++;
    const line = recordText({ ...record, seq } as RunRecord);
    // parsed back from the line: shares nothing with the caller and equals what a replay gives
    this.records.set(id, JSON.parse(line) as RunRecord);
    return line;
  }

  /** upserts one journal record (an existing record keeps its seq) */
  replay(record: RunRecord): void {
    const id = recordId(record.kind, record.key);
    const existing = this.records.get(id);
    if (existing) record.seq = existing.seq;
    this.records.set(id, record);
    this.nextSeq = Math.max(this.nextSeq, record.seq + 1);
  }

  /** replays a journal of JSON lines, skipping lines that do not parse (a torn last line) */
  replayLines(journal: Buffer): void {
    let start = 0;
    while (start < journal.length) {
      let end = journal.indexOf(0x0a, start);
      if (end === -1) end = journal.length;
      if (end > start) {
        const record = parseRecord(journal.toString('utf8', start, end));
        if (record) this.replay(record);
      }
      start = end + 1;
    }
  }

  get<K extends RecordKind>(kind: K, key: string): Extract<RunRecord, { kind: K }> | undefined {
    const record = this.records.get(recordId(kind, key));
    return record && (copy(record) as Extract<RunRecord, { kind: K }>);
  }

  list(): RunRecord[] {
    return copy([...this.records.values()]).sort(bySeq);
  }

  /** the SPEC's RunLog document */
  materialise(): string {
    const indent = this.records.size <= PRETTY_MAX_RECORDS ? 2 : undefined;
    return JSON.stringify(assemble([...this.records.values()]), null, indent) + '\n';
  }
}
