/**
 * One run's dealings with Slurm: the job script, submitting protocol commands as jobs (plain or
 * arrays, with dependencies), following them, reading back what they printed, cancelling them.
 *
 * Files, under `<log_folder>/<run_id>/` (default `.slurm_logs/<run_id>/`):
 * - `job.sh`: the one batch script of the run: `exec NODE dist/bundle/slurm-job.mjs "$1"`, the two paths
 *   single-quoted; nothing else varies
 * - `<tag>.json`: what a submission runs (`SlurmJobSpec`: the program, each element's arguments and env)
 * - `<tag>.<element>.out` / `.err`: the job's stdout and stderr; `.rc` its exit status
 */
import { displayCommand, shQuote } from '../util/sh-words.js';
import { inheritedEnv } from '../secrets/scope.js';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CodeIdentity } from '../runlog/types.js';
import type { RunContext } from '../engine/context.js';
import type { StepCommand, StepProcessResult } from '../engine/launcher.js';
import { JobWatcher, sbatch, scancel, scancelSync, type JobEnd, type JobInfo } from './_slurm_cli.js';
import { installed } from '../util/package-root.js';

/** The job's entry point: the bundled one (scripts/bundle.mjs), from src/ (tests) and dist/ alike. */
const SLURM_JOB_ENTRY = installed('dist/bundle/slurm-job.mjs');
const STDERR_TAIL_BYTES = 4096;
const SBATCH_AT_ONCE = 8;

/** What a job of the run is told, in its spec file (read by entries/slurm-job.ts). */
export interface SlurmJobSpec {
  /** `runnable`: the command line; `job-task`: the task of a job run (entries/job-task.ts) */
  program: 'runnable' | 'job-task';
  /** per element: the arguments after the program */
  argv: string[][];
  /** per element: environment variables set in the job's process (a command's `env`) */
  env: Record<string, string>[];
}

/**
 * Runs `run` with a session of the run: progress lines to the observer, every job of the run
 * cancelled on abort and at the end (jobs submitted ahead that were never reached); `atEnd`
 * runs once they are cancelled, before the session closes.
 */
export async function withSlurmSession<T>(rc: RunContext, logFolder: string, pollSeconds: number, run: (session: SlurmSession) => Promise<T>, atEnd?: () => Promise<void>): Promise<T> {
  const session = new SlurmSession(rc.runId, rc.cwd, logFolder, pollSeconds * 1000, (line) => rc.observer.output?.('slurm', 2, line), (line) => rc.observer.debug?.(line));
  const cancel = () => void session.cancelAll();
  rc.signal.addEventListener('abort', cancel, { once: true });
  try {
    return await run(session);
  } finally {
    rc.signal.removeEventListener('abort', cancel);
    await session.cancelAll();
    await atEnd?.();
    session.close();
  }
}

/** Resources and options of a job, from the config (and a step's `overrides` entry). */
export interface SlurmResources {
  partition?: string;
  account?: string;
  time?: string;
  cpus_per_task?: number;
  mem?: string;
  gres?: string;
  sbatch_options?: string[];
}

/** A submitted protocol command: one job, or one element of an array. */
export interface SubmittedJob {
  /** `123`, or `123_4` for element 4 of array 123 */
  id: string;
  cmd: StepCommand;
  /** files of the element: `<base>.out`, `.err`, `.rc` */
  base: string;
  /** resolves when the job has ended */
  ended: Promise<JobEnd>;
  /** the step's number of attempts in the run log when the job was submitted */
  attemptsBefore?: number;
}

export interface SubmitOptions {
  resources: SlurmResources;
  /** `afterok:<id>` for a plain job; `aftercorr:<array id>` for an array after another array */
  dependency?: string;
  /** arrays: at most this many elements run at once (`--array=0-N%M`) */
  throttle?: number;
  /** the values of the secrets the step declares: the only ones in the job's environment */
  secrets?: Record<string, string>;
}

export class SlurmSession {
  readonly dir: string;
  private readonly script: string;
  private readonly watcher: JobWatcher;
  private readonly prefix = `${Date.now().toString(36)}-${process.pid}`;
  private seq = 0;
  private readonly live = new Set<string>();
  private readonly counts = new Map<string, number>();
  private lastProgress = 0;
  private readonly onExit = () => scancelSync([...this.live]);
  /** sbatch calls running now, and those waiting for one to end */
  private submitting = 0;
  private readonly queue: Array<() => void> = [];

  constructor(
    private readonly runId: string,
    private readonly cwd: string,
    logFolder: string,
    pollMs: number,
    private readonly progress: (line: string) => void,
    /** `--log-level debug`: each sbatch command line */
    private readonly debug?: (line: string) => void,
  ) {
    this.dir = resolve(cwd, logFolder, runId);
    mkdirSync(this.dir, { recursive: true });
    this.script = join(this.dir, 'job.sh');
    writeFileSync(
      this.script,
      [
        '#!/bin/sh',
        `# runnable-ts: a step of run ${runId} under Slurm; what it runs is in the JSON file given as $1`,
        `exec ${shQuote(process.execPath)} ${shQuote(SLURM_JOB_ENTRY)} "$1"`,
        '',
      ].join('\n'),
    );
    chmodSync(this.script, 0o755);
    this.watcher = new JobWatcher(pollMs, (info, before) => this.changed(info, before));
    // a second Ctrl-C exits at once: the jobs must not outlive the run
    process.on('exit', this.onExit);
  }

  /**
   * Submits the same step for one or more iterations: one plain job for one command, a job array
   * (one element per command, in order) for several. The spec file tells the job (see
   * entries/slurm-job.ts) which program runs and, per element, its arguments and extra environment.
   */
  async submit(cmds: StepCommand[], opts: SubmitOptions): Promise<SubmittedJob[]> {
    const body: SlurmJobSpec = { program: cmds[0]!.kind === 'job-task' ? 'job-task' : 'runnable', argv: cmds.map((c) => c.args), env: cmds.map((c) => c.env) };
    const tag = `${this.prefix}-${String(++this.seq).padStart(4, '0')}-${safeName(cmds[0]!.node.internalName).slice(0, 60)}`;
    const spec = join(this.dir, `${tag}.json`);
    writeFileSync(spec, JSON.stringify(body));
    const array = cmds.length > 1;
    const out = join(this.dir, `${tag}.${array ? '%a' : '0'}`);
    const args = [
      `--job-name=${jobName(this.runId, cmds[0]!)}`,
      `--chdir=${this.cwd}`,
      `--output=${out}.out`,
      `--error=${out}.err`,
      '--kill-on-invalid-dep=yes',
      ...(opts.dependency ? [`--dependency=${opts.dependency}`] : []),
      ...(array ? [`--array=0-${cmds.length - 1}${opts.throttle && opts.throttle < cmds.length ? `%${opts.throttle}` : ''}`] : []),
      ...resourceArgs(opts.resources),
      this.script,
      spec,
    ];
    // the job's environment (sbatch exports it, slurmctld spools it): no secret but the step's own
    const env = { ...inheritedEnv(), ...opts.secrets };
    this.debug?.(`${cmds.map((c) => c.internalName).join(', ')}: ${displayCommand('sbatch', args)}`);
    const id = await this.limit(() => sbatch(args, env));
    return cmds.map((cmd, i) => {
      const jobId = array ? `${id}_${i}` : id;
      this.live.add(jobId);
      const ended = this.watcher.wait(jobId).then((end) => {
        this.live.delete(jobId);
        return end;
      });
      return { id: jobId, cmd, base: join(this.dir, `${tag}.${i}`), ended };
    });
  }

  /**
   * Submits the driver job of a detached run (see _slurm_detach.ts; it runs entries/slurm-driver.ts): not followed, and not
   * cancelled when this process exits.
   */
  async submitDriver(drive: object, resources: string[]): Promise<string> {
    const spec = join(this.dir, 'driver.json');
    writeFileSync(spec, JSON.stringify({ drive }));
    const out = join(this.dir, 'driver.out');
    return sbatch([`--job-name=${safeName(`${this.runId}:driver`)}`, `--chdir=${this.cwd}`, `--output=${out}`, `--error=${out}`, ...resources, this.script, spec]);
  }

  /** Waits for a job to end; what it printed and how it ended, as a child process would report it. */
  async result(job: SubmittedJob): Promise<StepProcessResult & { end: JobEnd; stderr: string }> {
    const end = await job.ended;
    const stdout = readOr(`${job.base}.out`);
    const stderr = readOr(`${job.base}.err`);
    const rc = readOr(`${job.base}.rc`).trim();
    const exitCode = rc !== '' ? Number(rc) : end.state === 'COMPLETED' ? 0 : null;
    return {
      exitCode,
      reason: exitCode === null ? describeState(job.id, end) : undefined,
      stdout,
      stderrTail: stderr.slice(-STDERR_TAIL_BYTES),
      stderr,
      end,
    };
  }

  /** Cancels jobs of this run (pending ones never start). */
  async cancel(ids: string[]): Promise<void> {
    if (ids.length) await scancel(ids);
  }

  /** Cancels every job of this run that has not ended. */
  async cancelAll(): Promise<void> {
    await this.cancel([...this.live]);
  }

  close(): void {
    process.off('exit', this.onExit);
    this.watcher.stop();
  }

  /** At most SBATCH_AT_ONCE `sbatch` processes at a time: hundreds of branches must not flood the controller. */
  private async limit<T>(fn: () => Promise<T>): Promise<T> {
    if (this.submitting >= SBATCH_AT_ONCE) await new Promise<void>((r) => this.queue.push(r));
    this.submitting++;
    try {
      return await fn();
    } finally {
      this.submitting--;
      this.queue.shift()?.();
    }
  }

  /** A progress line at most every 5 s while jobs are followed: how many pending, running, ended. */
  private changed(info: JobInfo, before: JobInfo | undefined): void {
    if (before) this.counts.set(before.state, (this.counts.get(before.state) ?? 1) - 1);
    this.counts.set(info.state, (this.counts.get(info.state) ?? 0) + 1);
    const now = Date.now();
    if (now - this.lastProgress < 5000) return;
    this.lastProgress = now;
    const parts = [...this.counts].filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s.toLowerCase()}`);
    this.progress(`slurm: jobs of run ${this.runId}: ${parts.join(', ')}\n`);
  }
}

export function resourceArgs(r: SlurmResources): string[] {
  const args: string[] = [];
  if (r.partition) args.push(`--partition=${r.partition}`);
  if (r.account) args.push(`--account=${r.account}`);
  if (r.time) args.push(`--time=${r.time}`);
  if (r.cpus_per_task) args.push(`--cpus-per-task=${r.cpus_per_task}`);
  if (r.mem) args.push(`--mem=${r.mem}`);
  if (r.gres) args.push(`--gres=${r.gres}`);
  return [...args, ...(r.sbatch_options ?? [])];
}

/** The code identity of the Slurm job that ran a step, a fan or a job's task; `what`: "job", "fan-in job". */
export function slurmIdentity(id: string, end: Pick<JobEnd, 'state' | 'partition' | 'nodes'>, what = 'job'): CodeIdentity {
  const where = [end.partition && `partition ${end.partition}`, end.nodes && `node ${end.nodes}`].filter(Boolean).join(', ');
  return {
    code_identifier: id,
    code_identifier_type: 'slurm',
    code_identifier_dependable: true,
    code_identifier_url: '',
    code_identifier_message: `Slurm ${what} ${id}${where ? ` (${where})` : ''}: ${end.state}`,
  };
}

/** Why a job that left no exit status ended, for the step's failure message. */
function describeState(id: string, end: JobEnd): string {
  const why: Record<string, string> = {
    CANCELLED: 'cancelled (scancel)',
    TIMEOUT: 'its time limit',
    OUT_OF_MEMORY: 'running out of memory',
    NODE_FAIL: 'a node failure',
    PREEMPTED: 'preemption',
    BOOT_FAIL: 'a node boot failure',
    DEADLINE: 'its deadline',
    FAILED: 'a non-zero exit before runnable recorded its end',
    UNKNOWN: 'something Slurm lost track of',
  };
  const reason = end.reason && end.reason !== 'None' ? `, ${end.reason}` : '';
  return `Slurm: job ${id} ended ${end.state} (${why[end.state] ?? 'see scontrol show job'}${reason})`;
}

function jobName(runId: string, cmd: StepCommand): string {
  const what = cmd.kind === 'fan' ? `fan-${cmd.args[4]}:${cmd.node.internalName}` : cmd.node.internalName;
  return safeName(`${runId}:${what}`).slice(0, 200);
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._:-]/g, '_');
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
