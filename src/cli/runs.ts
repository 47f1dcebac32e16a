/** `runnable runs list` and `runnable runs show RUN_ID [--json]`: read the configured run-log store. */
import pc from 'picocolors';
import { loadServices } from '../runner/prepare.js';
import { assemble } from '../runlog/assemble.js';
import type { JobLog, RunLog, StepLog } from '../runlog/types.js';
import { formatDuration, useColour } from './_reporter.js';
import { indentLines } from './_failures.js';
import { isInterrupted } from '../runner/retry.js';
import { EXIT_OK, reportError } from './_errors.js';
import { writeJson } from '../util/json-stream.js';

export async function runsListCommand(flags: { config?: string; json?: boolean }): Promise<number> {
  try {
    const { store } = await loadServices({ configFile: flags.config ?? process.env.RUNNABLE_CONFIGURATION_FILE });
    const ids = await store.runs();
    const rows = [];
    for (const id of ids) {
      const head = await store.get(id, 'run', '');
      const status = head ? (isInterrupted(head.data) ? 'INTERRUPTED' : head.data.status) : 'UNKNOWN';
      rows.push({ run_id: id, status, tag: head?.data.tag ?? '' });
    }
    if (flags.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
    else for (const r of rows) process.stdout.write(`${r.run_id}\t${r.status}${r.tag ? `\t${r.tag}` : ''}\n`);
    return EXIT_OK;
  } catch (err) {
    return reportError(err);
  }
}

export async function runsShowCommand(runId: string, flags: { config?: string; json?: boolean }): Promise<number> {
  try {
    const { store } = await loadServices({ configFile: flags.config ?? process.env.RUNNABLE_CONFIGURATION_FILE });
    const log = assemble(await store.list(runId));
    if (flags.json) await writeJson(process.stdout, log); // streamed: a big run log is longer than a string can be
    else process.stdout.write(render(log, store.location(runId), isInterrupted(log)));
    return EXIT_OK;
  } catch (err) {
    return reportError(err);
  }
}

function render(log: RunLog, location: string, interrupted: boolean): string {
  const c = pc.createColors(useColour() && !!process.stdout.isTTY);
  const status = (s: string) => (s === 'SUCCESS' ? c.green(s) : s === 'FAIL' ? c.red(s) : c.yellow(s));
  const out = [`run ${c.cyan(log.run_id)} ${status(log.status)}`, `  run log   ${location}`, `  dag hash  ${log.dag_hash}`];
  if (interrupted) out.push(c.yellow(`  interrupted: its runner is gone; \`runnable retry ${log.run_id}\` continues it`));
  if (log.tag) out.push(`  tag       ${log.tag}`);
  // one line per step (or the job): name, status, time from first start to last end, attempts, failure
  const line = (name: string, entry: JobLog, depth: number) => {
    const first = entry.attempts[0];
    const last = entry.attempts.at(-1);
    const ms = first && last?.end_time ? Date.parse(last.end_time) - Date.parse(first.start_time) : NaN;
    const attempts = entry.attempts.length > 1 ? ` ${entry.attempts.length} attempts` : '';
    const msg = entry.status === 'FAIL' && entry.message ? `\n${indentLines(entry.message, '  '.repeat(depth + 4))}` : '';
    const mock = entry.mock ? ' (mock)' : '';
    out.push(`${'  '.repeat(depth + 2)}${name} ${status(entry.status)} ${formatDuration(ms)}${attempts}${mock}${msg}`);
    if (log.job) for (const item of entry.data_catalog) if (item.stage === 'put') out.push(`${'  '.repeat(depth + 3)}put ${item.name} ${item.data_hash.slice(0, 12)}`);
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
    for (const [k, p] of params) out.push(`    ${k} (${p.kind}) = ${JSON.stringify(p.value)}`);
  }
  return `${out.join('\n')}\n`;
}
