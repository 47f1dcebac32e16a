/** `runnable runs diff RUN_A RUN_B [--json] [--all]`: two runs side by side, in aligned columns (long values cut; `--json` has them whole). */
import pc from 'picocolors';
import { loadServices } from '../runner/prepare.js';
import { readRunLog } from '../runlog/assemble.js';
import { diffRuns, type DiffRow, type RunDiff } from '../runlog/diff.js';
import { formatDuration, useColour } from '../views/reporter.js';
import { EXIT_OK, reportError } from './_errors.js';
import { printable as p } from '../util/printable.js';

export async function runsDiffCommand(runA: string, runB: string, flags: { config?: string; json?: boolean; all?: boolean }): Promise<number> {
  try {
    const { store } = await loadServices({ configFile: flags.config ?? process.env.RUNNABLE_CONFIGURATION_FILE });
    const diff = diffRuns(await readRunLog(store, runA), await readRunLog(store, runB));
    process.stdout.write(flags.json ? `${JSON.stringify(diff, null, 2)}\n` : render(diff, !!flags.all));
    return EXIT_OK;
  } catch (err) {
    return reportError(err);
  }
}

/** longest name and value shown; longer ones are cut with an ellipsis (`--json` has them whole) */
const NAME_MAX = 48;
const VALUE_MAX = 40;

/** the end cut: values */
const cutEnd = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);
/** the middle cut: names, whose head (the composite) and tail (the step) both matter */
const cutMiddle = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, Math.ceil((max - 1) / 2))}…${s.slice(s.length - Math.floor((max - 1) / 2))}`);

/**
 * Sections of rows `name  A  |  B`, one column width for all of them so the bars line up; a
 * section with no rows is left out, one whose rows are all unchanged says how many (`--all` shows them).
 */
function render(d: RunDiff, all: boolean): string {
  const c = pc.createColors(useColour() && !!process.stdout.isTTY);
  const value = (v: unknown) => (v === undefined ? '-' : typeof v === 'string' ? v : JSON.stringify(v));
  type Row = { name: string; a: string; b: string; changed: boolean };
  type Section = { title: string; rows: Row[]; hidden: number };
  let cut = false;
  const cell = (text: string) => {
    const shown = cutEnd(p(text), VALUE_MAX);
    if (shown.length < p(text).length) cut = true;
    return shown;
  };
  const section = <T>(title: string, rows: DiffRow<T>[], show: (v: T | undefined) => string, everyRow = all): Section => {
    const shown = everyRow ? rows : rows.filter((r) => r.changed);
    return { title, rows: shown.map((r) => ({ name: r.name, a: cell(show(r.a)), b: cell(show(r.b)), changed: r.changed })), hidden: rows.length - shown.length };
  };
  const stepCell = (s: RunDiff['steps'][number], x: RunDiff['steps'][number]['a']) => {
    if (!x) return '-';
    // a terminal step is reached, not run: its duration is nothing
    if (s.step_type === 'success' || s.step_type === 'fail') return `reached${x.attempts > 1 ? ` ×${x.attempts}` : ''}`;
    const dur = formatDuration(x.duration_ms ?? NaN);
    return `${p(String(x.status))}${dur ? ` ${dur}` : ''}${x.attempts > 1 ? ` ×${x.attempts}` : ''}`;
  };
  const sections: Section[] = [
    {
      title: '',
      rows: [
        { name: 'run', a: cell(d.a.run_id), b: cell(d.b.run_id), changed: false },
        { name: 'status', a: p(String(d.a.status)), b: p(String(d.b.status)), changed: d.a.status !== d.b.status },
        ...(d.a.dag_hash !== d.b.dag_hash ? [{ name: 'dag hash', a: p(String(d.a.dag_hash).slice(0, 12)), b: p(String(d.b.dag_hash).slice(0, 12)), changed: true }] : []),
      ],
      hidden: 0,
    },
    section('parameters', d.parameters, value),
    section('metrics', d.metrics, value),
    section('catalog', d.catalog, (h) => (h ? h.slice(0, 12) : '-')),
  ];
  // Durations differ run to run, so every step is shown for small runs; big ones list changes only.
  const everyStep = all || d.steps.length <= 30;
  const steps = everyStep ? d.steps : d.steps.filter((s) => s.changed);
  sections.push({ title: 'steps', rows: steps.map((s) => ({ name: s.name, a: stepCell(s, s.a), b: stepCell(s, s.b), changed: s.changed })), hidden: d.steps.length - steps.length });

  const shown = sections.filter((s) => s.rows.length || s.hidden);
  const rows = shown.flatMap((s) => s.rows);
  const nameWidth = Math.min(NAME_MAX, Math.max(4, ...rows.map((r) => p(r.name).length)));
  const aWidth = Math.max(1, ...rows.map((r) => r.a.length));
  const out: string[] = [];
  for (const s of shown) {
    if (s.title) out.push('', `${c.bold(s.title)}${s.hidden ? c.dim(` (${s.hidden} unchanged${s.rows.length ? '' : ', --all shows them'})`) : ''}`);
    else out.push(`  ${' '.repeat(nameWidth)}  ${c.bold('A'.padEnd(aWidth))}     ${c.bold('B')}`);
    for (const r of s.rows) {
      const name = cutMiddle(p(r.name), nameWidth).padEnd(nameWidth);
      out.push(`  ${(r.changed ? c.yellow : c.dim)(name)}  ${r.a.padEnd(aWidth)}  ${c.dim('|')}  ${r.b}`);
    }
    if (!s.title && d.a.dag_hash !== d.b.dag_hash) out.push(c.yellow('  the pipelines differ (dag_hash)'));
  }
  if (cut) out.push('', c.dim('long values are cut (…); --json has them whole'));
  return `${out.join('\n')}\n`;
}
