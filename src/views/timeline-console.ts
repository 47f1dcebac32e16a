/**
 * `runnable timeline --console`: the Gantt as text. Map and loop iterations are folded into
 * one line each with their count (a failed iteration is listed under it), so a 10,000-item
 * map stays one screen.
 */
import { formatDuration } from '../util/duration.js';
import type { RunLog, Status } from '../runlog/types.js';
import { timelineModel, type Row } from './timeline-model.js';

const MARK: Record<Status, string> = { SUCCESS: '✓', FAIL: '✗', PROCESSING: '…', CREATED: '·' };

export function consoleGantt(log: RunLog, opts: { width?: number; colour?: (s: Status, text: string) => string; now?: number } = {}): string {
  const model = timelineModel(log, opts.now);
  const width = Math.max(60, opts.width ?? 100);
  const nameW = Math.min(44, Math.floor(width * 0.4));
  const barW = width - nameW - 10;
  const paint = opts.colour ?? ((_s: Status, t: string) => t);
  const out: string[] = [];
  const bar = (start: number, end: number, status: Status, critical: boolean) => {
    if (start < 0) return ' '.repeat(barW);
    const a = Math.floor((start / model.span) * barW);
    const b = Math.max(a + 1, Math.ceil(((end < 0 ? model.span : end) / model.span) * barW));
    const ch = critical ? '█' : '▆';
    return ' '.repeat(a) + paint(status, ch.repeat(Math.min(b, barW) - a)) + ' '.repeat(Math.max(0, barW - Math.min(b, barW)));
  };
  const line = (r: Row, depth: number, label: string) => {
    const text = `${'  '.repeat(depth)}${MARK[r.status]} ${label}`;
    const name = text.length > nameW ? `${text.slice(0, nameW - 1)}…` : text.padEnd(nameW);
    const ms = r.start >= 0 ? (r.end < 0 ? model.span : r.end) - r.start : NaN;
    out.push(`${paint(r.status, name)} ${bar(r.start, r.end, r.status, r.critical)} ${formatDuration(ms).padStart(8)}`);
  };
  const walk = (ids: number[], depth: number) => {
    for (const id of ids) {
      const r = model.rows[id]!;
      const kids = r.children.map((c) => model.rows[c]!);
      if (r.kind === 'step' && (r.type === 'map' || r.type === 'loop') && kids.length) {
        const failed = kids.filter((k) => k.status === 'FAIL');
        const attempts = r.segments.length > 1 ? ` ${r.segments.length} attempts` : '';
        line(r, depth, `${r.name} [${kids.length} ${r.type === 'map' ? 'iterations' : 'rounds'}: ${kids.length - failed.length} ✓${failed.length ? ` ${failed.length} ✗` : ''}]${attempts}`);
        for (const f of failed.slice(0, 5)) {
          line(f, depth + 1, `${f.name}`);
          walk(f.children, depth + 2);
        }
        if (failed.length > 5) out.push(`${'  '.repeat(depth + 1)}… ${failed.length - 5} more failed`);
        continue;
      }
      const attempts = r.segments.length > 1 ? ` (${r.segments.length} attempts)` : '';
      line(r, depth, `${r.name}${attempts}`);
      walk(r.children, depth + 1);
    }
  };
  walk(model.rows.flatMap((r, i) => (r.parent < 0 ? [i] : [])), 0);
  out.push(`${''.padEnd(nameW)} ${'0'.padEnd(barW - formatDuration(model.span).length)}${formatDuration(model.span)}   █ critical path`);
  return `run ${log.run_id} ${log.status}\n${out.join('\n')}\n`;
}

