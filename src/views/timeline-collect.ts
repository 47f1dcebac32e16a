/**
 * Everything the run report shows, read through the store and catalog interfaces (so any
 * run-log store and catalog work): the run log, the tails of the steps' logs in the catalog's
 * `.logs/`, the metrics of earlier runs of the same pipeline, and the pipeline graph when the
 * pipeline file is still there. Secret values the pipeline names are masked everywhere.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { CatalogStore } from '../catalog/types.js';
import type { Pipeline } from '../graph/model.js';
import { readRunLog } from '../runlog/assemble.js';
import type { RunLog, RunLogStore } from '../runlog/types.js';
import type { SecretsStore } from '../secrets/types.js';
import { secretValuesOf } from '../secrets/mask.js';
import { isInterrupted } from '../runner/retry.js';
import { renderGraph } from './graph.js';
import { summariseRuns, type RunSummary } from './run-summaries.js';

export interface ReportInput {
  log: RunLog;
  location: string;
  interrupted: boolean;
  /** `<internal name>.attempt-<n>` → the log's last lines */
  logTails: Map<string, string>;
  /** logs left out of the report to keep it small */
  logsOmitted: number;
  history: RunSummary[];
  graphSvg?: string;
  /** secret values to mask */
  secrets: string[];
}

export interface CollectOptions {
  store: RunLogStore;
  catalog: CatalogStore;
  secrets: SecretsStore;
  cwd: string;
  runId: string;
  /** earlier runs of the same pipeline for the metric chart (default 20) */
  historyRuns?: number;
  /** logs embedded at most (failed steps first), and bytes of each tail */
  maxLogs?: number;
  tailBytes?: number;
  loadPipeline?: (file: string, cwd: string) => Promise<Pipeline>;
}

export async function collectReport(o: CollectOptions): Promise<ReportInput> {
  const log = await readRunLog(o.store, o.runId);
  const pipeline = await pipelineOf(log, o);
  const secrets = pipeline ? await secretValuesOf(pipeline, o.secrets) : [];
  const { tails, omitted } = await logTails(o, log);
  const history = log.dag_hash ? await summariseRuns(o.store, { dagHash: log.dag_hash, limit: o.historyRuns ?? 20 }) : [];
  return {
    log,
    location: o.store.location(o.runId),
    interrupted: isInterrupted(log),
    logTails: tails,
    logsOmitted: omitted,
    history: history.reverse(),
    graphSvg: pipeline ? renderGraph(pipeline, 'svg', log) : undefined,
    secrets,
  };
}

async function pipelineOf(log: RunLog, o: CollectOptions): Promise<Pipeline | undefined> {
  const file = log.run_config.pipeline;
  if (typeof file !== 'string' || !o.loadPipeline || !existsSync(path.resolve(o.cwd, file))) return undefined;
  try {
    return await o.loadPipeline(file, o.cwd);
  } catch {
    return undefined; // changed or broken since the run: the report goes without its graph
  }
}

const LOG_RE = /^\.logs\/(.+\.attempt-\d+)\.log$/;

async function logTails(o: CollectOptions, log: RunLog): Promise<{ tails: Map<string, string>; omitted: number }> {
  const tails = new Map<string, string>();
  const files = await o.catalog.list(o.runId).catch(() => [] as string[]);
  const failed = new Set<string>();
  const walk = (steps: RunLog['steps']) => {
    for (const s of Object.values(steps)) {
      for (const a of s.attempts) if (a.status === 'FAIL') failed.add(`${s.internal_name}.attempt-${a.attempt_number}`);
      for (const b of Object.values(s.branches)) walk(b.steps);
    }
  };
  walk(log.steps);
  const keys = files.map((f) => LOG_RE.exec(f)?.[1]).filter((k): k is string => !!k);
  keys.sort((a, b) => Number(failed.has(b)) - Number(failed.has(a)));
  const max = o.maxLogs ?? 200;
  const tailBytes = o.tailBytes ?? 2000;
  for (const key of keys.slice(0, max)) {
    const buf = await o.catalog.readFile(o.runId, `.logs/${key}.log`).catch(() => undefined);
    if (!buf) continue;
    let text = buf.subarray(Math.max(0, buf.length - tailBytes)).toString('utf8');
    if (buf.length > tailBytes) text = `…${text.slice(text.indexOf('\n') + 1)}`;
    tails.set(key, text);
  }
  return { tails, omitted: Math.max(0, keys.length - max) };
}
