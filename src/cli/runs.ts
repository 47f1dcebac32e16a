/** `runnable runs list` and `runnable runs show RUN_ID [--json]`: read the configured run-log store (`runs delete|prune`: runs-delete.ts). */
import pc from 'picocolors';
import { loadServices } from '../runner/prepare.js';
import { assemble } from '../runlog/assemble.js';
import { RunnableError } from '../errors.js';
import type { JobLog, RunLog, RunLogStore, StepLog } from '../runlog/types.js';
import { formatDuration, useColour } from './_reporter.js';
import { indentLines } from './_failures.js';
import { isInterrupted } from '../runner/retry.js';
import { summariseRuns, type RunSummary } from '../views/run-summaries.js';
import { EXIT_OK, reportError } from './_errors.js';
import { printable as p, printableLines } from '../util/printable.js';
import { writeJson } from '../util/json-stream.js';

export interface RunsListFlags {
  config?: string;
  json?: boolean;
  /** a column per metric (the runs' final metric parameters) */
  metrics?: boolean;
  tag?: string;
  since?: string;
  status?: string;
  /** at most this many runs, the newest first; default: all */
  limit?: string;
}

export async function runsListCommand(flags: RunsListFlags): Promise<number> {
  try {
    const limit = flags.limit === undefined ? undefined : positive(flags.limit, '--limit');
    const { store } = await loadServices({ configFile: flags.config ?? process.env.RUNNABLE_CONFIGURATION_FILE });
    const runs = await summariseRuns(store, { tag: flags.tag, since: flags.since, status: flags.status, limit });
    // said on stderr: stdout stays the (empty) list that scripts read
    if (!runs.length && !flags.json) process.stderr.write(`runnable: ${await noRuns(store, flags)}\n`);
    if (flags.json) {
      const rows = runs.map((r) => ({ run_id: r.run_id, status: r.status, tag: r.tag, ...(flags.metrics ? { started_at: r.started_at, metrics: r.metrics } : {}) }));
      process.stdout.write(`${JSON.stringify(rows)}\n`);
    } else if (flags.metrics) process.stdout.write(metricsTable(runs));
    else for (const r of runs) process.stdout.write(`${p(r.run_id)}\t${p(r.status)}${r.tag ? `\t${p(r.tag)}` : ''}\n`);
    return EXIT_OK;
  } catch (err) {
    return reportError(err);
  }
}

/** `--limit N`: a whole number, 1 or more */
function positive(text: string, flag: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) throw new RunnableError('E_USAGE', `${flag} takes a whole number (1 or more); got '${text}'`);
  return Number(text);
}

/** why the list is empty: no runs at all, or none that the filters let through */
async function noRuns(store: RunLogStore, flags: RunsListFlags): Promise<string> {
  const filters = (['tag', 'since', 'status'] as const).filter((f) => flags[f] !== undefined);
  if (!filters.length || !(await store.runs()).length) return `no runs in the run-log store (${store.type}${store.logFolder ? ` at ${p(store.logFolder)}` : ''})`;
  return `no runs match ${filters.map((f) => `--${f} ${p(flags[f]!)}`).join(' ')}`;
}

/** One row per run, one column per metric any of them recorded; tab-separated, with a header. */
function metricsTable(runs: RunSummary[]): string {
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
  const cell = (v: unknown) => (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));
  const lines = [['run_id', 'status', 'started_at', 'tag', ...names].join('\t')];
  for (const r of runs) lines.push([r.run_id, r.status, r.started_at, r.tag, ...names.map((n) => cell(r.metrics[n]))].join('\t'));
  return `${lines.join('\n')}\n`;
}

export interface RunsShowFlags {
  config?: string;
  json?: boolean;
  /** only steps with this status (SUCCESS, FAIL, PROCESSING), and the composites holding them */
  status?: string;
  /** only steps whose internal name contains this text, and the composites holding them */
  step?: string;
}

export async function runsShowCommand(runId: string, flags: RunsShowFlags): Promise<number> {
  try {
    const { store } = await loadServices({ configFile: flags.config ?? process.env.RUNNABLE_CONFIGURATION_FILE });
    const log = filterSteps(assemble(await store.list(runId)), flags);
    // records that did not parse were skipped: said on stderr, and in the text
    const damage = (await store.damage?.(runId)) ?? [];
    for (const d of damage) process.stderr.write(`runnable: warning: the run log of ${runId} is damaged: ${d}\n`);
    if (flags.json) await writeJson(process.stdout, log); // streamed: a big run log is longer than a string can be
    else process.stdout.write(render(log, store.location(runId), isInterrupted(log), damage.length));
    return EXIT_OK;
  } catch (err) {
    return reportError(err);
  }
}

/** The run log with only the steps that match (and the branches and composites leading to them). */
function filterSteps(log: RunLog, flags: RunsShowFlags): RunLog {
  if (!flags.status && !flags.step) return log;
  const status = flags.status?.toUpperCase();
  const keep = (s: StepLog) => (!status || s.status === status) && (!flags.step || s.internal_name.includes(flags.step));
  const walk = (steps: Record<string, StepLog>): Record<string, StepLog> => {
    const out: Record<string, StepLog> = {};
    for (const [k, s] of Object.entries(steps)) {
      const branches = Object.fromEntries(
        Object.entries(s.branches)
          .map(([bk, b]) => [bk, { ...b, steps: walk(b.steps) }] as const)
          .filter(([, b]) => Object.keys(b.steps).length),
      );
      if (keep(s) || Object.keys(branches).length) out[k] = { ...s, branches };
    }
    return out;
  };
  return { ...log, steps: walk(log.steps) };
}

function render(log: RunLog, location: string, interrupted: boolean, damaged: number): string {
  const c = pc.createColors(useColour() && !!process.stdout.isTTY);
  const status = (s: string) => (s === 'SUCCESS' ? c.green(s) : s === 'FAIL' ? c.red(s) : c.yellow(p(String(s))));
  const out = [`run ${c.cyan(p(log.run_id))} ${status(log.status)}`, `  run log   ${p(location)}`, `  dag hash  ${p(String(log.dag_hash))}`];
  if (damaged) out.push(c.red(`  damaged: ${damaged} record${damaged > 1 ? 's' : ''} of this run log could not be read and ${damaged > 1 ? 'were' : 'was'} skipped (see the warnings)`));
  if (interrupted) out.push(c.yellow(`  interrupted: its runner is gone; \`runnable retry ${p(log.run_id)}\` continues it`));
  if (log.tag) out.push(`  tag       ${p(log.tag)}`);
  // one line per step (or the job): name, status, time from first start to last end, attempts, failure
  const line = (name: string, entry: JobLog, depth: number) => {
    const first = entry.attempts[0];
    const last = entry.attempts.at(-1);
    const ms = first && last?.end_time ? Date.parse(last.end_time) - Date.parse(first.start_time) : NaN;
    const attempts = entry.attempts.length > 1 ? ` ${entry.attempts.length} attempts` : '';
    const msg = entry.status === 'FAIL' && entry.message ? `\n${indentLines(printableLines(entry.message), '  '.repeat(depth + 4))}` : '';
    const mock = entry.mock ? ' (mock)' : '';
    out.push(`${'  '.repeat(depth + 2)}${p(name)} ${status(entry.status)} ${formatDuration(ms)}${attempts}${mock}${msg}`);
    if (log.job) for (const item of entry.data_catalog) if (item.stage === 'put') out.push(`${'  '.repeat(depth + 3)}put ${p(item.name)} ${p(item.data_hash.slice(0, 12))}`);
  };
  if (log.job) {
    out.push('  job');
    line('job', log.job, 0);
  } else {
    out.push('  steps');
    const walk = (steps: Record<string, StepLog>, depth: number) => {
      for (const step of Object.values(steps)) {
        line(step.internal_name, step, depth);
        for (const branch of Object.values(step.branches)) walk(branch.steps, depth + 1);
      }
    };
    walk(log.steps, 0);
  }
  const params = Object.entries(log.parameters);
  if (params.length) {
    out.push('  parameters');
    for (const [k, v] of params) out.push(p(`    ${k} (${v.kind}) = ${JSON.stringify(v.value)}`));
  }
  return `${out.join('\n')}\n`;
}
