/**
 * What a person sees while a run goes: a line when a step starts and when it ends (status,
 * duration), the tasks' own output in between, and a closing summary. Colour only on a TTY and
 * never with NO_COLOR. Everything goes to stderr except the tasks' stdout (stdout unless --json,
 * so that `--json` leaves stdout to the one result object).
 */
import pc from 'picocolors';
import type { RunObserver } from '../engine/context.js';
import type { Parameters, RunLog, Status } from '../runlog/types.js';
import { attemptLogPath, failedSteps, indentLines, retryCommandLine } from './failures.js';
import type { Graph } from '../graph/model.js';
import { findGraph, templateName } from '../graph/names.js';
import { writeFd as write } from '../util/fd.js';
import { formatDuration } from '../util/duration.js';

export { formatDuration };
import { LiveProgress } from './progress.js';
import { shows, type LogLevel } from './log-level.js';
import { printable, printableLines } from '../util/printable.js';

export interface ReporterOptions {
  /** task stdout goes to stderr (fd 2) so stdout holds only the JSON result */
  json: boolean;
  colour?: boolean;
  /** the live progress area (default: stderr is a TTY and neither NO_COLOR nor CI is set) */
  live?: boolean;
  /** how much to say (./log-level.ts; default info): below info no progress, no step lines, a summary only when the run failed */
  level?: LogLevel;
}

/** Live redrawing only for a person at a terminal: plain lines for pipes, logs and CI. */
export function useLiveArea(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.CI !== undefined && env.CI !== '' && env.CI !== 'false') return false;
  return !!process.stderr.isTTY;
}

/** After this many finished steps, only failures and top-level steps get a line of their own. */
const LINES_BEFORE_QUIET = 20;

export function useColour(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return !!process.stderr.isTTY;
}

export class TerminalReporter implements RunObserver {
  private readonly c: ReturnType<typeof pc.createColors>;
  private readonly outFd: number;
  private readonly live: LiveProgress | undefined;
  private graph: Graph | undefined;
  private finished = 0;
  /** progress and step lines (info and debug) */
  private readonly progress: boolean;
  private readonly debugging: boolean;

  constructor(opts: ReporterOptions) {
    const level = opts.level ?? 'info';
    this.c = pc.createColors(opts.colour ?? useColour());
    this.outFd = opts.json ? 2 : 1;
    this.progress = shows(level, 'info');
    this.debugging = shows(level, 'debug');
    this.live = this.progress && (opts.live ?? useLiveArea()) ? new LiveProgress(this.c) : undefined;
  }

  /** the pipeline being run: lets the live area estimate how many steps are left */
  expect(graph: Graph): void {
    this.graph = graph;
    this.live?.expectSteps(leafCount(graph));
  }

  line(text: string): void {
    if (this.live) this.live.persist(text);
    else write(2, `${text}\n`);
  }

  private quiet(internalName: string, status: Status): boolean {
    return !!this.live && this.finished > LINES_BEFORE_QUIET && status !== 'FAIL' && internalName.includes('.');
  }

  stepStarted(e: { internalName: string; type: string; attempt?: number }): void {
    this.live?.stepStarted(e.internalName, !isCompositeType(e.type));
    if (!this.progress || this.quiet(e.internalName, 'PROCESSING')) return;
    const attempt = e.attempt && e.attempt > 1 ? this.c.dim(` (attempt ${e.attempt})`) : '';
    this.line(`${this.c.dim('→')} ${printable(e.internalName)}${attempt}`);
  }

  branchesOpened(e: { internalName: string; type: string; branches: string[] }): void {
    if (!this.live) return;
    let perBranch = 1;
    try {
      const first = this.graph && e.branches[0] !== undefined ? findGraph(this.graph, templateName(this.graph, e.branches[0])) : undefined;
      if (first) perBranch = leafCount(first);
    } catch {
      // a name the pipeline does not know: count one step per branch
    }
    this.live.branchesOpened(e.type, e.branches, perBranch);
  }

  branchStarted(e: { internalName: string }): void {
    this.live?.branchStarted(e.internalName);
  }

  branchFinished(e: { internalName: string; status: Status }): void {
    this.live?.branchFinished(e.internalName, e.status);
  }

  stepFinished(e: { internalName: string; type: string; status: Status; durationMs: number; message?: string; cached?: boolean }): void {
    this.live?.stepFinished(e.internalName, !isCompositeType(e.type), e.status);
    this.finished++;
    if (!this.progress || this.quiet(e.internalName, e.status)) return;
    const ok = e.status === 'SUCCESS';
    const mark = ok ? this.c.green('✓') : this.c.red('✗');
    const msg = !ok && e.message ? `  ${this.c.red(printable(e.message.split('\n')[0]!))}` : e.cached && e.message ? `  ${this.c.dim(printable(e.message))}` : '';
    this.line(`${mark} ${printable(e.internalName)} ${this.c.dim(formatDuration(e.durationMs))}${msg}`);
  }

  stepSkipped(e: { internalName: string; type: string }): void {
    if (!this.progress) return;
    this.line(`${this.c.dim('↷')} ${printable(e.internalName)} ${this.c.dim('succeeded before, skipped')}`);
  }

  output(_internalName: string, stream: 1 | 2, chunk: string | Uint8Array): void {
    if (this.live && (stream === 2 || this.outFd === 2)) this.live.persist(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    else write(stream === 1 ? this.outFd : 2, chunk);
  }

  /** `--log-level debug`: a dimmed line */
  debug(text: string): void {
    if (this.debugging) this.line(this.c.dim(`· ${printable(text)}`));
  }

  /** a line of the run's own (retrying, a signal received) at info level */
  info(text: string): void {
    if (this.progress) this.line(text);
  }

  started(runId: string): void {
    if (!this.progress) return;
    this.line(`${this.c.bold('runnable')} run ${this.c.cyan(printable(runId))} started`);
  }

  summary(run: { runId: string; status: Status; location: string; catalogLocation?: string; runLog: RunLog }): void {
    this.live?.stop();
    const { c } = this;
    const ok = run.status === 'SUCCESS';
    // below info a run that did not fail ends silently (its --json, if asked, is still printed)
    if (!this.progress && run.status !== 'FAIL') return;
    const lines = [
      '',
      `${c.bold('run')} ${c.cyan(printable(run.runId))} ${ok ? c.green(c.bold(run.status)) : c.red(c.bold(run.status))}`,
      `  run log     ${printable(run.location)}`,
    ];
    const params = describe(run.runLog.parameters, (k) => k !== 'metric');
    if (params.length) lines.push(`  parameters  ${params.join('\n              ')}`);
    const metrics = describe(run.runLog.parameters, (k) => k === 'metric');
    if (metrics.length) lines.push(`  metrics     ${metrics.join('\n              ')}`);
    if (run.status === 'FAIL') lines.push(...this.failures(run));
    write(2, `${lines.join('\n')}\n`);
  }

  /** Each failed step with its whole error and its output's file, then the command that continues the run. */
  private failures(run: { catalogLocation?: string; runLog: RunLog }): string[] {
    const { c } = this;
    const lines: string[] = [];
    for (const step of failedSteps(run.runLog)) {
      lines.push(`  ${c.red('failed')}      ${c.bold(printable(step.name))}${step.attempt > 1 ? c.dim(` (attempt ${step.attempt})`) : ''}`);
      if (step.message) lines.push(c.red(indentLines(printableLines(step.message), '                ')));
      if (run.catalogLocation) lines.push(`              log  ${printable(attemptLogPath(run.catalogLocation, step))}`);
    }
    lines.push(`  retry with  ${c.bold(printable(retryCommandLine(run.runLog)))}`);
    return lines;
  }
}

const isCompositeType = (t: string) => t === 'parallel' || t === 'map' || t === 'conditional' || t === 'loop';

/** Tasks and stubs directly in a graph (nested composites count when they open their branches). */
function leafCount(graph: Graph): number {
  let n = 0;
  for (const node of Object.values(graph.nodes)) if (node.type === 'task' || node.type === 'stub') n++;
  return n;
}
function describe(params: Parameters, keep: (kind: string) => boolean): string[] {
  return Object.entries(params)
    .filter(([, p]) => keep(p.kind))
    .map(([name, p]) => printable(`${name} = ${p.kind === 'object' ? `<object ${String(p.value)}>` : truncate(JSON.stringify(p.value))}`));
}

function truncate(s: string, max = 80): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}


