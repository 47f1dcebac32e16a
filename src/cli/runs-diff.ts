/** `runnable runs diff RUN_A RUN_B [--json]`: two runs side by side. */
import pc from 'picocolors';
import { loadServices } from '../runner/prepare.js';
import { assemble } from '../runlog/assemble.js';
import { diffRuns, type DiffRow, type RunDiff } from '../runlog/diff.js';
import { formatDuration, useColour } from './_reporter.js';
import { EXIT_OK, reportError } from './_errors.js';
import { printable as p } from '../util/printable.js';

export async function runsDiffCommand(runA: string, runB: string, flags: { config?: string; json?: boolean; all?: boolean }): Promise<number> {
  try {
    const { store } = await loadServices({ configFile: flags.config ?? process.env.RUNNABLE_CONFIGURATION_FILE });
    const diff = diffRuns(assemble(await store.list(runA)), assemble(await store.list(runB)));
    process.stdout.write(flags.json ? `${JSON.stringify(diff, null, 2)}\n` : render(diff, !!flags.all));
    return EXIT_OK;
  } catch (err) {
    return reportError(err);
  }
}

function render(d: RunDiff, all: boolean): string {
  const c = pc.createColors(useColour() && !!process.stdout.isTTY);
  const out: string[] = [`${c.bold('A')} ${p(d.a.run_id)} ${p(String(d.a.status))}    ${c.bold('B')} ${p(d.b.run_id)} ${p(String(d.b.status))}`];
  if (d.a.dag_hash !== d.b.dag_hash) out.push(c.yellow('the pipelines differ (dag_hash)'));
  const value = (v: unknown) => p(v === undefined ? '-' : typeof v === 'string' ? v : JSON.stringify(v));
  const section = <T>(title: string, rows: DiffRow<T>[], show: (v: T | undefined) => string) => {
    const shown = all ? rows : rows.filter((r) => r.changed);
    out.push('', `${c.bold(title)}${shown.length === rows.length ? '' : c.dim(` (${rows.length - shown.length} unchanged)`)}`);
    const width = Math.min(40, Math.max(4, ...shown.map((r) => p(r.name).length)));
    for (const r of shown) out.push(`  ${(r.changed ? c.yellow : c.dim)(p(r.name).padEnd(width))}  ${show(r.a)}  ${c.dim('|')}  ${show(r.b)}`);
  };
  section('parameters', d.parameters, value);
  section('metrics', d.metrics, value);
  section('catalog', d.catalog, (h) => (h ? p(h.slice(0, 12)) : '-'));
  // Durations differ run to run, so every step is shown for small runs; big ones list changes only.
  const steps = all || d.steps.length <= 30 ? d.steps : d.steps.filter((s) => s.changed);
  out.push('', `${c.bold('steps')}${steps.length === d.steps.length ? '' : c.dim(` (${d.steps.length - steps.length} unchanged)`)}`);
  const width = Math.min(50, Math.max(4, ...steps.map((s) => p(s.name).length)));
  const cell = (x: RunDiff['steps'][number]['a']) => (x ? `${p(String(x.status))} ${formatDuration(x.duration_ms ?? NaN)}${x.attempts > 1 ? ` ×${x.attempts}` : ''}` : '-');
  for (const s of steps) out.push(`  ${(s.changed ? c.yellow : c.dim)(p(s.name).padEnd(width))}  ${cell(s.a).padEnd(18)} ${c.dim('|')}  ${cell(s.b)}`);
  return `${out.join('\n')}\n`;
}
