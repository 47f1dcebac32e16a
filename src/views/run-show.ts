/**
 * The text of `runnable runs show RUN_ID` (`--json` prints the run log itself: cli/runs.ts).
 *
 * One line per step: name, type, status, the last attempt's own duration (start to end: a retry
 * days later does not make a step "take" days); with more than one attempt, a line per attempt
 * with its own status, duration and log file. Under each step, its catalog files (stage, name,
 * short hash) and its log file. Terminal steps (`success`, `fail`) say that the run or branch
 * ended there. A map or loop with more than `COLLAPSE_OVER` iterations is one line of counts by
 * status plus the iterations that did not succeed, unless `all`.
 */
import pc from 'picocolors';
import type { BranchLog, DataCatalog, JobLog, RunLog, StepAttempt, StepLog } from '../runlog/types.js';
import { attemptLogPath } from '../catalog/attempt-log.js';
import { formatDuration } from '../util/duration.js';
import { printable as p, printableLines } from '../util/printable.js';

/** a map or loop with more iterations than this is collapsed to counts (unless `all`) */
export const COLLAPSE_OVER = 10;
/** catalog files listed per step (unless `all`) */
const FILES_SHOWN = 10;
/** iterations that did not succeed listed under a collapsed map or loop (unless `all` or `failedOnly`) */
const ITERATIONS_SHOWN = 10;

export interface ShowOptions {
  /** where the run log is */
  location: string;
  /** where the run's catalog files are (`catalog.location(runId)`) */
  catalogLocation: string;
  /** the run's log files (catalog-relative), when the catalog could list them; undefined: a task's is assumed there */
  logFiles?: Set<string>;
  interrupted: boolean;
  damaged: number;
  /** which steps to show (with the composites leading to them); undefined: all */
  keep?: (step: StepLog) => boolean;
  /** `--failed`: the failed steps only, every failed iteration listed, no parameters */
  failedOnly?: boolean;
  /** `--all`: every iteration and every catalog file */
  all?: boolean;
  colour: boolean;
}

const TERMINAL = new Set(['success', 'fail']);

/** an error in one line: its first line and, when there are more, its last (the end of stderr) */
function gist(message: string): string {
  const lines = message.split('\n').filter((l) => l.trim() && !l.startsWith('--- '));
  return lines.length > 1 ? `${lines[0]} … ${lines.at(-1)}` : (lines[0] ?? '');
}

export function renderRun(log: RunLog, o: ShowOptions): string {
  const c = pc.createColors(o.colour);
  const status = (s: string) => (s === 'SUCCESS' ? c.green(s) : s === 'FAIL' ? c.red(s) : c.yellow(p(String(s))));
  const head = [`run ${c.cyan(p(log.run_id))} ${status(log.status)}`, `  run log   ${p(o.location)}`, `  catalog   ${p(o.catalogLocation)}`, `  dag hash  ${p(String(log.dag_hash))}`];
  if (o.damaged) head.push(c.red(`  damaged: ${o.damaged} record${o.damaged > 1 ? 's' : ''} of this run log could not be read and ${o.damaged > 1 ? 'were' : 'was'} skipped (see the warnings)`));
  if (o.interrupted) head.push(c.yellow(`  interrupted: its runner is gone; \`runnable retry ${p(log.run_id)}\` continues it`));
  if (log.tag) head.push(`  tag       ${p(log.tag)}`);

  // Step heads are collected first and padded to one width, so types and statuses line up.
  type Row = { head: true; indent: number; name: string; rest: string } | { head: false; text: string };
  const rows: Row[] = [];
  const sub = (depth: number, text: string) => rows.push({ head: false, text: `${'  '.repeat(depth + 3)}${text}` });
  const logPath = (internalName: string, attempt: StepAttempt) => {
    const rel = attemptLogPath(internalName, attempt.attempt_number);
    return o.logFiles ? (o.logFiles.has(rel) ? `${o.catalogLocation.replace(/\/+$/, '')}/${rel}` : undefined) : `${o.catalogLocation.replace(/\/+$/, '')}/${rel}`;
  };
  const ms = (a: StepAttempt | undefined) => (a?.end_time ? Math.max(0, Date.parse(a.end_time) - Date.parse(a.start_time)) : NaN);
  const message = (depth: number, text: string) => rows.push({ head: false, text: printableLines(text).split('\n').map((l) => `${'  '.repeat(depth + 4)}${l}`).join('\n') });

  /** a task, stub or composite (or the job): its line, its attempts, files and log */
  const entry = (name: string, internalName: string, type: string, e: JobLog, depth: number) => {
    const last = e.attempts.at(-1);
    const dur = formatDuration(ms(last));
    const n = e.attempts.length;
    const attempts = n > 1 ? `  ${n} attempts` : '';
    const mock = e.mock ? ' (mock)' : '';
    const running = last && !last.end_time && e.status === 'PROCESSING' ? ' running' : '';
    rows.push({ head: true, indent: depth, name, rest: `${c.dim(type.padEnd(11))} ${status(e.status)}${dur ? ` ${dur}` : ''}${running}${attempts}${mock}` });
    const task = type === 'task';
    if (n > 1) {
      for (const a of e.attempts) {
        const file = task ? logPath(internalName, a) : undefined;
        const d = formatDuration(ms(a));
        sub(depth, `attempt ${a.attempt_number} ${status(a.status)}${d ? ` ${d}` : ''}${file ? `  ${c.dim('log')} ${p(file)}` : ''}`);
        // an earlier failed attempt in one line; the step's own failure is printed whole below
        if (a.status === 'FAIL' && a.message && a !== last) sub(depth + 1, c.dim(p(gist(a.message))));
      }
    }
    if (e.status === 'FAIL' && (e.message || last?.message)) message(depth, e.message || last!.message);
    if (n === 1 && task && last) {
      const file = logPath(internalName, last);
      if (file) sub(depth, `${c.dim('log')} ${p(file)}`);
    }
    files(e.data_catalog, depth);
  };
  const files = (catalog: DataCatalog[], depth: number) => {
    const shown = o.all ? catalog : catalog.slice(0, FILES_SHOWN);
    for (const f of shown) sub(depth, `${c.dim(f.stage)} ${p(f.name)} ${c.dim(p(f.data_hash.slice(0, 12)))}`);
    if (shown.length < catalog.length) sub(depth, c.dim(`… ${catalog.length - shown.length} more files (--all lists them)`));
  };
  /** `success` / `fail`: where the run or its branch ended, not something that ran */
  const terminal = (step: StepLog, scope: { status: string } | undefined, depth: number) => {
    const where = depth === 0 ? 'the run' : 'the branch';
    const times = step.attempts.length > 1 ? ` (${step.attempts.length} times)` : '';
    const text =
      step.step_type === 'success'
        ? c.green(`${where} succeeded here${times}`)
        : scope?.status === 'SUCCESS'
          ? c.dim(`${where} failed here before a retry${times}`)
          : c.red(`${where} failed here${times}`);
    rows.push({ head: true, indent: depth, name: step.internal_name, rest: `${c.dim(step.step_type.padEnd(11))} ${text}` });
  };

  /** whether a step, or something inside it, is to be shown */
  const visible = (step: StepLog): boolean => !o.keep || o.keep(step) || Object.values(step.branches).some((b) => Object.values(b.steps).some(visible));
  const walk = (steps: Record<string, StepLog>, scope: { status: string } | undefined, depth: number) => {
    for (const step of Object.values(steps)) {
      if (!visible(step)) continue;
      if (TERMINAL.has(step.step_type)) {
        terminal(step, scope, depth);
        continue;
      }
      entry(step.internal_name, step.internal_name, step.step_type, step, depth);
      const branches = Object.values(step.branches);
      if ((step.step_type === 'map' || step.step_type === 'loop') && branches.length > COLLAPSE_OVER && !o.all) collapsed(step, branches, depth);
      else for (const b of branches) walk(b.steps, b, depth + 1);
    }
  };
  /** a big map or loop: counts by status, then the iterations that did not succeed */
  const collapsed = (step: StepLog, branches: BranchLog[], depth: number) => {
    const counts = new Map<string, number>();
    for (const b of branches) counts.set(b.status, (counts.get(b.status) ?? 0) + 1);
    const order = ['SUCCESS', 'FAIL', 'PROCESSING', 'CREATED'];
    const byStatus = [...counts].sort(([a], [b]) => order.indexOf(a) - order.indexOf(b)).map(([s, k]) => `${k} ${status(s)}`);
    const key = (b: BranchLog) => b.internal_name.slice(step.internal_name.length + 1);
    const retried = branches.filter((b) => b.status === 'SUCCESS' && Object.values(b.steps).some((s) => s.attempts.length > 1)).map(key);
    const more = retried.length ? `; ${retried.length} after more than one attempt (${retried.slice(0, 5).map(p).join(', ')}${retried.length > 5 ? ', …' : ''})` : '';
    sub(depth, `${branches.length} ${step.step_type === 'loop' ? 'iterations' : 'items'}: ${byStatus.join(', ')}${more}  ${c.dim('(--all lists each)')}`);
    const open = branches.filter((b) => b.status !== 'SUCCESS' && Object.values(b.steps).some(visible));
    const shown = o.all || o.failedOnly ? open : open.slice(0, ITERATIONS_SHOWN);
    for (const b of shown) walk(b.steps, b, depth + 1);
    if (shown.length < open.length) sub(depth, c.dim(`… ${open.length - shown.length} more that did not succeed (--failed or --all lists them)`));
  };

  if (log.job) {
    head.push('  job');
    entry('job', 'job', 'task', log.job, 0);
  } else {
    head.push(o.failedOnly ? '  failed steps' : '  steps');
    walk(log.steps, log, 0);
    if (o.failedOnly && !rows.length) sub(-1, 'none');
  }
  const width = Math.min(48, Math.max(0, ...rows.map((r) => (r.head ? 2 * r.indent + p(r.name).length : 0))));
  const out = [...head];
  for (const r of rows) {
    if (!r.head) out.push(r.text);
    else {
      const name = p(r.name);
      out.push(`${'  '.repeat(r.indent + 2)}${name}${' '.repeat(Math.max(0, width - 2 * r.indent - name.length))} ${r.rest}`);
    }
  }
  const params = Object.entries(log.parameters);
  if (params.length && !o.failedOnly) {
    out.push('  parameters');
    for (const [k, v] of params) out.push(p(`    ${k} (${v.kind}) = ${JSON.stringify(v.value)}`));
  }
  return `${out.join('\n')}\n`;
}
