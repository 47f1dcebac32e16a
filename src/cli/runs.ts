/** `runnable runs list` and `runnable runs show RUN_ID [--json]`: read the configured run-log store (the text of `show`: views/run-show.ts; `runs delete|prune`: runs-delete.ts). */
import { loadServices } from '../runner/prepare.js';
import { readRunLog } from '../runlog/assemble.js';
import { RunnableError } from '../errors.js';
import type { RunLog, RunLogStore, StepLog } from '../runlog/types.js';
import { useColour } from '../views/reporter.js';
import { renderRun } from '../views/run-show.js';
import { displayPath } from '../util/display-path.js';
import { isInterrupted } from '../runner/retry.js';
import { summariseRuns, type RunSummary } from '../views/run-summaries.js';
import { EXIT_OK, reportError } from './_errors.js';
import { say, warn } from './_level.js';
import { printable as p } from '../util/printable.js';
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
    if (!runs.length && !flags.json) say(await noRuns(store, flags));
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
  /** only the failed steps, and the composites holding them (`--status FAIL`, every failed iteration listed) */
  failed?: boolean;
  /** every map/loop iteration and every catalog file (big maps and loops are otherwise counted) */
  all?: boolean;
}

export async function runsShowCommand(runId: string, flags: RunsShowFlags): Promise<number> {
  try {
    const { store, catalog } = await loadServices({ configFile: flags.config ?? process.env.RUNNABLE_CONFIGURATION_FILE });
    const full = await readRunLog(store, runId);
    const keep = stepFilter(flags);
    // records that did not parse were skipped: said on stderr, and in the text
    const damage = (await store.damage?.(runId)) ?? [];
    for (const d of damage) warn(`the run log of ${runId} is damaged: ${d}`);
    if (flags.json) {
      await writeJson(process.stdout, keep ? filterSteps(full, keep) : full); // streamed: a big run log is longer than a string can be
      return EXIT_OK;
    }
    // the log files that are there (a catalog that keeps none, or could not be listed: none said / each assumed)
    const logFiles = await catalog.list(runId).then(
      (files) => new Set(files.filter((f) => f.startsWith('.logs/'))),
      () => undefined,
    );
    const text = renderRun(full, {
      location: store.location(runId),
      catalogLocation: displayPath(catalog.location(runId), process.cwd()),
      logFiles,
      interrupted: isInterrupted(full),
      damaged: damage.length,
      keep,
      failedOnly: !!flags.failed,
      all: !!flags.all,
      colour: useColour() && !!process.stdout.isTTY,
    });
    process.stdout.write(text);
    return EXIT_OK;
  } catch (err) {
    return reportError(err);
  }
}

/** which steps `--status`, `--step` and `--failed` keep; undefined: all */
function stepFilter(flags: RunsShowFlags): ((s: StepLog) => boolean) | undefined {
  const status = flags.failed ? 'FAIL' : flags.status?.toUpperCase();
  if (!status && !flags.step) return undefined;
  return (s) => (!status || s.status === status) && (!flags.step || s.internal_name.includes(flags.step));
}

/** The run log with only the steps that match (and the branches and composites leading to them). */
function filterSteps(log: RunLog, keep: (s: StepLog) => boolean): RunLog {
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
