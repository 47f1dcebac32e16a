/**
 * `runnable runs delete RUN_ID...` and `runnable runs prune`: remove runs from the configured
 * run-log store together with their catalog files, through the stores' capabilities
 * (`RunLogStore.deleteRun`, `CatalogStore.deleteRun`, `acquireLease`), never their types.
 *
 * A run being driven is not deleted: its lease is taken first, and a run whose lease is busy is
 * skipped with one line (`delete` then exits 1; for `prune`, which picks runs by age, it is a
 * warning). The catalog goes before the run log, so that a deletion cut short leaves a run that
 * `runs list` still shows and a second `delete` finishes, never catalog folders of no listed run.
 */
import { RunnableError } from '../errors.js';
import { loadServices, type Services } from '../runner/prepare.js';
import { takeRunLease } from '../runner/lease.js';
import type { Lease } from '../runlog/types.js';
import { printable as p } from '../util/printable.js';
import { sinceTime, summariseRun, summariseRuns, type RunSummary } from '../views/run-summaries.js';
import { EXIT_FAILED, EXIT_OK, reportError } from './_errors.js';
import { say } from './_level.js';

export interface RunsDeleteFlags {
  config?: string;
  json?: boolean;
  /** print what would be deleted; delete nothing, take no lease */
  dryRun?: boolean;
}

export interface RunsPruneFlags extends RunsDeleteFlags {
  /** runs started before this ISO time or duration back (7d, 12h) */
  olderThan?: string;
  /** only runs with this status */
  status?: string;
  /** the N newest of the runs `--status` selects are kept, whatever their age */
  keep?: string;
}

/** what was (or, with --dry-run, would be) deleted of one run */
interface Deleted {
  run_id: string;
  status: string;
  run_log: string;
  /** '' for a catalog that keeps no files */
  catalog: string;
  /** files removed from the catalog; null when the catalog cannot delete them (they stay) */
  catalog_files: number | null;
}

interface Skipped {
  run_id: string;
  reason: string;
}

export async function runsDeleteCommand(runIds: string[], flags: RunsDeleteFlags): Promise<number> {
  try {
    const services = await open(flags);
    const ids = [...new Set(runIds)];
    // every id is checked before anything is deleted: a typo deletes nothing
    const known = await Promise.all(ids.map((id) => services.store.exists(id)));
    const unknown = ids.filter((_, i) => !known[i]);
    if (unknown.length) {
      const names = unknown.map((id) => `'${id}'`).join(', ');
      throw new RunnableError('E_RUN_ID', `unknown run id${unknown.length > 1 ? 's' : ''} ${names} (no ${services.store.location(unknown[0]!)}); nothing was deleted`);
    }
    const runs = await Promise.all(ids.map((id) => summariseRun(services.store, id)));
    const { skipped } = await deleteRuns(services, runs, flags, '', '');
    return skipped.length ? EXIT_FAILED : EXIT_OK;
  } catch (err) {
    return reportError(err);
  }
}

export async function runsPruneCommand(flags: RunsPruneFlags): Promise<number> {
  try {
    if (flags.olderThan === undefined && flags.keep === undefined && flags.status === undefined) {
      throw new RunnableError('E_USAGE', 'runs prune needs --older-than, --keep or --status (without them it would delete every run)');
    }
    const keep = flags.keep === undefined ? 0 : count(flags.keep, '--keep');
    const before = flags.olderThan === undefined ? undefined : sinceTime(flags.olderThan, Date.now(), '--older-than');
    const services = await open(flags);
    // newest first, as `runs list` shows them
    const selected = await summariseRuns(services.store, { status: flags.status });
    // a run whose start is unknown (unreadable) is never old enough: delete it by id
    const runs = selected.slice(keep).filter((r) => before === undefined || Date.parse(r.started_at) < before);
    await deleteRuns(services, runs, flags, 'warning: ', nothingToPrune(selected.length, keep, flags));
    return EXIT_OK;
  } catch (err) {
    return reportError(err);
  }
}

/** why prune found nothing to delete, in the terms of its options */
function nothingToPrune(selected: number, keep: number, flags: RunsPruneFlags): string {
  const runs = `${selected || 'no'} run${selected === 1 ? '' : 's'}${flags.status ? ` with status ${flags.status.toUpperCase()}` : ''}`;
  if (!selected) return `nothing to prune: ${runs}`;
  if (keep >= selected) return `nothing to prune: ${runs}, all kept by --keep ${keep}`;
  return `nothing to prune: ${runs}${keep ? `, the ${keep} newest kept,` : ','} none${keep ? ' of the others' : ''} older than ${flags.olderThan}`;
}

/** the services of the config, refused when its run-log store cannot delete runs */
async function open(flags: RunsDeleteFlags): Promise<Services> {
  const services = await loadServices({ configFile: flags.config ?? process.env.RUNNABLE_CONFIGURATION_FILE });
  if (!services.store.deleteRun) throw new RunnableError('E_CONFIG', `the '${services.store.type}' run-log store cannot delete runs`, { field: 'run-log-store' });
  return services;
}

/** `--keep N`: a whole number, 0 or more */
function count(text: string, flag: string): number {
  if (!/^\d+$/.test(text.trim())) throw new RunnableError('E_USAGE', `${flag} takes a whole number (0 or more); got '${text}'`);
  return Number(text);
}

/**
 * Deletes the runs one at a time (in the order given), printing a line per run on stdout and the
 * skipped ones and a summary on stderr (`--json`: one object on stdout instead of the lines).
 * `skipPrefix` starts a skipped run's line: '' for `delete`, where it fails the command;
 * `nothing`: the summary when there is no run to delete.
 */
async function deleteRuns(
  services: Services,
  runs: RunSummary[],
  flags: RunsDeleteFlags,
  skipPrefix: string,
  nothing: string,
): Promise<{ deleted: Deleted[]; skipped: Skipped[] }> {
  const { store, catalog } = services;
  const deleted: Deleted[] = [];
  const skipped: Skipped[] = [];
  for (const run of runs) {
    const id = run.run_id;
    const entry: Deleted = { run_id: id, status: run.status, run_log: store.location(id), catalog: catalog.location(id), catalog_files: null };
    if (flags.dryRun) {
      if (catalog.deleteRun) entry.catalog_files = (await catalog.list(id)).length;
      deleted.push(entry);
      if (!flags.json) process.stdout.write(`would delete ${line(entry)}${run.status === 'PROCESSING' ? ' (PROCESSING: refused if it is still being driven)' : ''}\n`);
      continue;
    }
    const lease = await leaseOrReason(services, run);
    if (typeof lease === 'string') {
      skipped.push({ run_id: id, reason: lease });
      say(`${skipPrefix}not deleted: ${lease}`, skipPrefix ? 'warning' : 'error');
      continue;
    }
    try {
      if (catalog.deleteRun) entry.catalog_files = await catalog.deleteRun(id);
    } catch (e) {
      await lease?.release();
      throw e;
    }
    // from here the lease goes with the run: a release would write its entry back
    await lease?.abandon();
    // a catalog sharing the run log's bucket prefix may have taken the run log with it
    if (await store.exists(id)) await store.deleteRun!(id);
    deleted.push(entry);
    if (!flags.json) process.stdout.write(`deleted ${line(entry)}\n`);
  }
  if (flags.json) process.stdout.write(`${JSON.stringify({ dry_run: !!flags.dryRun, deleted, skipped })}\n`);
  say(runs.length ? summary(deleted.length, skipped.length, !!flags.dryRun) : nothing);
  return { deleted, skipped };
}

/**
 * The run's lease, undefined for a store without leases (then a run PROCESSING under a live
 * runner counts as driven), or why the run may not be deleted now.
 */
async function leaseOrReason(services: Services, run: RunSummary): Promise<Lease | undefined | string> {
  if (!services.store.acquireLease) return run.status === 'PROCESSING' ? `run ${run.run_id} is PROCESSING (the store has no leases to tell whether it is being driven)` : undefined;
  try {
    return await takeRunLease(services.store, run.run_id);
  } catch (e) {
    if (e instanceof RunnableError && e.code === 'E_RUN_BUSY') return e.message;
    throw e;
  }
}

function line(d: Deleted): string {
  const files = d.catalog_files === null ? `left in place (the catalog cannot delete files)` : `${d.catalog_files} file${d.catalog_files === 1 ? '' : 's'}`;
  return p(`${d.run_id} (${d.status}): run log ${d.run_log}${d.catalog ? `, catalog ${d.catalog} (${files})` : ''}`);
}

function summary(deleted: number, skipped: number, dryRun: boolean): string {
  const runs = (n: number) => `${n} run${n === 1 ? '' : 's'}`;
  if (dryRun) return `dry run: ${runs(deleted)} would be deleted; nothing was deleted`;
  return `deleted ${runs(deleted)}${skipped ? `; ${runs(skipped)} not deleted (being driven)` : ''}`;
}
