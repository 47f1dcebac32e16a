/**
 * The Slurm commands the `slurm` executor uses — `sbatch`, `squeue`, `scancel` — always run
 * with an argument vector (never through a shell), and `JobWatcher`, which follows many jobs
 * with one `squeue` call per tick. Without slurmdbd there is no `sacct`: a finished job is seen
 * by `squeue --states=all` for `MinJobAge` seconds after it ended (300 by default), which is far
 * longer than a tick.
 */
import { execFile, execFileSync } from 'node:child_process';
import { RunnableError } from '../errors.js';

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** the command could not be started (not installed) */
  missing: boolean;
}

export function runCommand(cmd: string, args: string[], timeoutMs = 60_000, env: NodeJS.ProcessEnv = process.env): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env: { ...env, LC_ALL: 'C' } }, (error, stdout, stderr) => {
      const err = error as (NodeJS.ErrnoException & { code?: number | string }) | null;
      resolve({
        code: err ? (typeof err.code === 'number' ? err.code : null) : 0,
        stdout: String(stdout),
        stderr: String(stderr),
        missing: err?.code === 'ENOENT',
      });
    });
  });
}

/**
 * Submits a batch job; returns its id (`123`; an array's id is the id of the whole array).
 * sbatch exports its whole environment into the job (and slurmctld's spool): `env` is what it gets.
 */
export async function sbatch(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  let last: CommandResult | undefined;
  for (let attempt = 0; attempt < 4; attempt++) {
    if (attempt) await sleep(500 * 2 ** attempt);
    last = await runCommand('sbatch', ['--parsable', ...args], 60_000, env);
    if (last.missing) {
      throw new RunnableError('E_CONFIG', "the slurm executor needs Slurm's `sbatch` on the PATH (apt-get install slurm-client, or run on a login node)", {
        field: 'pipeline-executor.type',
      });
    }
    const id = last.stdout.trim().split(';')[0] ?? '';
    if (last.code === 0 && /^\d+$/.test(id)) return id;
    // the controller may be busy for a moment: try again; anything else is final
    if (!/timed out|temporarily|try again|busy|connection refused|unable to contact/i.test(last.stderr)) break;
  }
  throw new Error(`sbatch failed: ${(last?.stderr || last?.stdout || '').trim() || `exit code ${last?.code}`}`);
}

/** Cancels jobs (`123`, `123_4`); jobs that already ended are ignored. */
export async function scancel(ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) await runCommand('scancel', ids.slice(i, i + 500));
}

/** For `process.on('exit')`: cancels jobs synchronously, ignoring every error. */
export function scancelSync(ids: string[]): void {
  if (!ids.length) return;
  try {
    execFileSync('scancel', ids, { stdio: 'ignore', timeout: 10_000 });
  } catch {
    // nothing more can be done while exiting
  }
}

export interface JobInfo {
  /** `123` or, for an element of an array, `123_4` */
  id: string;
  /** Slurm's job state: PENDING, RUNNING, COMPLETING, COMPLETED, FAILED, CANCELLED, TIMEOUT, ... */
  state: string;
  reason: string;
  partition: string;
  nodes: string;
}

/** States after which the job's processes are gone and its outcome will not change. */
const ACTIVE = new Set(['PENDING', 'CONFIGURING', 'RUNNING', 'COMPLETING', 'SUSPENDED', 'REQUEUED', 'REQUEUE_FED', 'REQUEUE_HOLD', 'RESIZING', 'SIGNALING', 'STAGE_OUT', 'RESV_DEL_HOLD', 'STOPPED']);

export function isFinal(info: JobInfo): boolean {
  // a pending job whose dependency failed waits forever unless it is cancelled: it has ended for us
  return !ACTIVE.has(info.state) || (info.state === 'PENDING' && info.reason === 'DependencyNeverSatisfied');
}

/** The current state of jobs (array ids expand to their elements); unknown ids are left out. */
export async function squeue(ids: string[]): Promise<Map<string, JobInfo>> {
  const found = new Map<string, JobInfo>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += 200) {
    const r = await runCommand('squeue', ['--noheader', '--array', '--states=all', '--format=%i|%T|%r|%P|%N', `--jobs=${unique.slice(i, i + 200).join(',')}`]);
    // one id that Slurm no longer knows makes squeue fail; several are simply left out
    if (r.code !== 0 && !/invalid job id/i.test(r.stderr)) throw new Error(`squeue failed: ${r.stderr.trim() || `exit code ${r.code}`}`);
    for (const line of r.stdout.split('\n')) {
      const [id, state, reason, partition, nodes] = line.trim().split('|');
      if (id && state) found.set(id, { id, state: state.replace(/\+$/, ''), reason: reason ?? '', partition: partition ?? '', nodes: nodes ?? '' });
    }
  }
  return found;
}

/** How a job ended, as far as Slurm knows. `state` is UNKNOWN when Slurm lost track of it. */
export type JobEnd = JobInfo;

interface Waiter {
  resolve: (end: JobEnd) => void;
  missing: number;
  last?: JobInfo;
}

/** Ticks after which a job that `squeue` does not know (any more) counts as ended. */
const MISSING_TICKS = 10;

/**
 * Follows jobs until they end: one `squeue` per tick for every job waited on. `onChange` hears
 * every state change (for progress); `onTick` the states of all jobs followed in the tick.
 */
export class JobWatcher {
  private readonly waiters = new Map<string, Waiter[]>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;

  constructor(
    private readonly intervalMs: number,
    private readonly onChange: (info: JobInfo, before: JobInfo | undefined) => void = () => undefined,
  ) {}

  /** Resolves when the job has ended (its state is final). */
  wait(id: string): Promise<JobEnd> {
    return new Promise((resolve) => {
      const list = this.waiters.get(id) ?? [];
      list.push({ resolve, missing: 0 });
      this.waiters.set(id, list);
      this.schedule(0);
    });
  }

  /** jobs waited on that have not ended */
  active(): string[] {
    return [...this.waiters.keys()];
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delay: number): void {
    if (this.timer || this.ticking) return;
    this.timer = setTimeout(() => void this.tick(), delay);
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (!this.waiters.size) return;
    this.ticking = true;
    try {
      const ids = [...this.waiters.keys()];
      const infos = await squeue(ids.map((id) => id.split('_')[0]!));
      for (const id of ids) {
        const list = this.waiters.get(id)!;
        const info = infos.get(id);
        const before = list[0]!.last;
        if (info) {
          if (!before || before.state !== info.state) this.onChange(info, before);
          for (const w of list) w.last = info;
        } else {
          for (const w of list) w.missing++;
        }
        const ended = info ? isFinal(info) : list[0]!.missing >= MISSING_TICKS;
        if (ended) {
          this.waiters.delete(id);
          const end = info ?? { ...(before ?? { id, reason: '', partition: '', nodes: '' }), id, state: 'UNKNOWN' };
          for (const w of list) w.resolve(end);
        }
      }
    } catch {
      // squeue failed (the controller is busy or restarting): try again next tick
    } finally {
      this.ticking = false;
    }
    if (this.waiters.size) this.schedule(this.intervalMs);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
