/**
 * What a person sees while a run goes: a line when a step starts and when it ends (status,
 * duration), the tasks' own output in between, and a closing summary. Colour only on a TTY and
 * never with NO_COLOR. Everything goes to stderr except the tasks' stdout (stdout unless --json,
 * so that `--json` leaves stdout to the one result object).
 */
import { writeSync } from 'node:fs';
import pc from 'picocolors';
import type { RunObserver } from '../engine/context.js';
import type { Parameters, RunLog, Status } from '../runlog/types.js';
import { attemptLogPath, failedSteps, indentLines, retryCommandLine } from './_failures.js';

export interface ReporterOptions {
  /** task stdout goes to stderr (fd 2) so stdout holds only the JSON result */
  json: boolean;
  colour?: boolean;
}

export function useColour(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return !!process.stderr.isTTY;
}

export class TerminalReporter implements RunObserver {
  private readonly c: ReturnType<typeof pc.createColors>;
  private readonly outFd: number;

  constructor(opts: ReporterOptions) {
    this.c = pc.createColors(opts.colour ?? useColour());
    this.outFd = opts.json ? 2 : 1;
  }

  line(text: string): void {
    write(2, `${text}\n`);
  }

  stepStarted(e: { internalName: string; type: string; attempt?: number }): void {
    const attempt = e.attempt && e.attempt > 1 ? this.c.dim(` (attempt ${e.attempt})`) : '';
    this.line(`${this.c.dim('→')} ${e.internalName}${attempt}`);
  }

  stepFinished(e: { internalName: string; type: string; status: Status; durationMs: number; message?: string; cached?: boolean }): void {
    const ok = e.status === 'SUCCESS';
    const mark = ok ? this.c.green('✓') : this.c.red('✗');
    const msg = !ok && e.message ? `  ${this.c.red(e.message.split('\n')[0]!)}` : e.cached && e.message ? `  ${this.c.dim(e.message)}` : '';
    this.line(`${mark} ${e.internalName} ${this.c.dim(formatDuration(e.durationMs))}${msg}`);
  }

  stepSkipped(e: { internalName: string; type: string }): void {
    this.line(`${this.c.dim('↷')} ${e.internalName} ${this.c.dim('succeeded before, skipped')}`);
  }

  output(_internalName: string, stream: 1 | 2, chunk: string | Uint8Array): void {
    write(stream === 1 ? this.outFd : 2, chunk);
  }

  started(runId: string): void {
    this.line(`${this.c.bold('runnable')} run ${this.c.cyan(runId)} started`);
  }

  summary(run: { runId: string; status: Status; location: string; catalogLocation?: string; runLog: RunLog }): void {
    const { c } = this;
    const ok = run.status === 'SUCCESS';
    const lines = [
      '',
      `${c.bold('run')} ${c.cyan(run.runId)} ${ok ? c.green(c.bold(run.status)) : c.red(c.bold(run.status))}`,
      `  run log     ${run.location}`,
    ];
    const params = describe(run.runLog.parameters, (k) => k !== 'metric');
    if (params.length) lines.push(`  parameters  ${params.join('\n              ')}`);
    const metrics = describe(run.runLog.parameters, (k) => k === 'metric');
    if (metrics.length) lines.push(`  metrics     ${metrics.join('\n              ')}`);
    if (run.status === 'FAIL') lines.push(...this.failures(run));
    this.line(lines.join('\n'));
  }

  /** Each failed step with its whole error and its output's file, then the command that continues the run. */
  private failures(run: { catalogLocation?: string; runLog: RunLog }): string[] {
    const { c } = this;
    const lines: string[] = [];
    for (const step of failedSteps(run.runLog)) {
      lines.push(`  ${c.red('failed')}      ${c.bold(step.name)}${step.attempt > 1 ? c.dim(` (attempt ${step.attempt})`) : ''}`);
      if (step.message) lines.push(c.red(indentLines(step.message, '                ')));
      if (run.catalogLocation) lines.push(`              log  ${attemptLogPath(run.catalogLocation, step)}`);
    }
    lines.push(`  retry with  ${c.bold(retryCommandLine(run.runLog))}`);
    return lines;
  }
}

function describe(params: Parameters, keep: (kind: string) => boolean): string[] {
  return Object.entries(params)
    .filter(([, p]) => keep(p.kind))
    .map(([name, p]) => `${name} = ${p.kind === 'object' ? `<object ${String(p.value)}>` : truncate(JSON.stringify(p.value))}`);
}

function truncate(s: string, max = 80): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m${Math.round((ms % 60_000) / 1000)}s`;
}

/** Direct fd writes: task output captured from process.stdout must not loop back into the capture. */
function write(fd: number, chunk: string | Uint8Array): void {
  let buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
  for (let spins = 0; buf.length && spins < 10_000; ) {
    try {
      const n = writeSync(fd, buf);
      buf = buf.subarray(n);
    } catch (err) {
      // a full non-blocking pipe: try again; a closed one (`| head`) must not kill the run
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return;
      spins++;
    }
  }
}
