/**
 * Step processes started before their step (`emulate`). A step process spends most of its life
 * starting: Node itself, then loading runnable (and, for TS steps, tsx and its loader thread);
 * the step's own work is a fraction of that. `SparePool` keeps a few processes that have done
 * all of it ahead (`runnable --await-command`, src/cli/_await-command.ts) and hands each the
 * next command when its step comes: its arguments and its whole environment, one JSON line on
 * a pipe (fd 3). The process then runs the command exactly as `runnable ARGS...` started with
 * that environment would: one fresh process per step, the same command line in its argv, the
 * same exit status, output and signals. What differs is only when it started: what Node read
 * at its own start (NODE_OPTIONS and the like) is the driver's environment, without the
 * step's secrets.
 *
 * A spare is started with the run's id (RUNNABLE_RUN_ID, so `retry` waits for it like any step
 * process of the run) and tied to this process (it dies with the driver). Spares not used when
 * the run ends are killed before they were given anything to do.
 */
import type { IOType } from 'node:child_process';
import type { Writable } from 'node:stream';
import type { Pipeline } from '../graph/model.js';
import { walkNodes } from '../graph/walk.js';
import { isTypeScriptCommand } from '../tasks/index.js';
import type { RunContext } from '../engine/context.js';
import { AWAITED_COMMAND_FD as COMMAND_FD, RUNNABLE_BIN, type StepCommand, type StepProcessResult } from '../engine/launcher.js';
import { follow, spawnTied, type TiedChild } from './_child_process.js';

/** How many spares are kept ready: two, so that a spare has two steps' time to start. */
const SPARES = 2;
/** stdin, stdout, stderr as a step process has them, and the command's pipe at COMMAND_FD */
const SPARE_STDIO: IOType[] = ['ignore', 'pipe', 'pipe', 'pipe'];

/**
 * What a spare of `pipeline` loads ahead besides runnable: `--tsx` when the pipeline is a TS
 * module (every step process loads it through tsx), `--ts` when a step or reducer is a TS
 * function (bound by acorn; its module is bundled, src/tasks/_ts_bundle.ts, or else loaded by tsx
 * at the step), nothing for the rest.
 */
export function prestartFlags(pipeline: Pipeline): string[] {
  if (pipeline.source.kind === 'module' && isTypeScriptCommand(pipeline.source.path)) return ['--tsx'];
  for (const node of walkNodes(pipeline.graph)) {
    if (node.type === 'task' && node.commandType === 'typescript' && isTypeScriptCommand(node.command)) return ['--ts'];
    if (node.type === 'map' && node.reducer && isTypeScriptCommand(node.reducer)) return ['--ts'];
  }
  return [];
}

/**
 * At most how many commands the driver launches for `pipeline` (each task and stub one, each
 * parallel or conditional two, its fans; a map or loop: no bound), so that a short pipeline
 * starts no spare it will not use.
 */
export function launchesAtMost(pipeline: Pipeline): number {
  let n = 0;
  for (const node of walkNodes(pipeline.graph)) {
    if (node.type === 'map' || node.type === 'loop') return Infinity;
    if (node.type === 'task' || node.type === 'stub') n += 1;
    else if (node.type === 'parallel' || node.type === 'conditional') n += 2;
  }
  return n;
}

/** One pre-started step process, waiting for its command. */
class Spare {
  private readonly early: Array<[1 | 2, Buffer]> = [];
  private ended = false;
  readonly exited: Promise<void>;

  constructor(private readonly started: TiedChild) {
    const { child } = started;
    // what it prints before it has a command (a warning of Node's) is shown with its step's output
    child.stdout!.on('data', (chunk: Buffer) => this.early.push([1, chunk]));
    child.stderr!.on('data', (chunk: Buffer) => this.early.push([2, chunk]));
    (child.stdio[COMMAND_FD] as Writable).on('error', () => undefined); // EPIPE: it died first
    this.exited = new Promise((resolve) => {
      child.on('close', () => {
        this.ended = true;
        resolve();
      });
      child.on('error', () => {
        this.ended = true;
        resolve();
      });
    });
  }

  get alive(): boolean {
    return !this.ended && this.started.child.exitCode === null && this.started.child.signalCode === null;
  }

  /** Gives it `cmd` (its `runnable` arguments) with `env` as its whole environment, and follows it to its end. */
  run(rc: RunContext, cmd: StepCommand, env: NodeJS.ProcessEnv): Promise<StepProcessResult> {
    const { child } = this.started;
    child.stdout!.removeAllListeners('data');
    child.stderr!.removeAllListeners('data');
    const ended = follow(rc, cmd, this.started, this.early.splice(0));
    (child.stdio[COMMAND_FD] as Writable).end(`${JSON.stringify({ args: cmd.args, env })}\n`);
    return ended;
  }

  kill(): void {
    this.started.child.kill('SIGKILL');
  }
}

/** The spares of one run: started on first use, refilled as they are taken, killed by `close`. */
export class SparePool {
  private readonly idle: Spare[] = [];
  private closed = false;

  constructor(
    private readonly rc: RunContext,
    /** what every step process of the run starts with: no step's secrets */
    private readonly env: NodeJS.ProcessEnv,
    /** what the spares load ahead (`prestartFlags`) */
    private readonly flags: string[],
    /** how many commands may still come (`launchesAtMost`): no more spares than that are started */
    private remaining: number,
  ) {
    rc.signal.addEventListener('abort', () => void this.close(), { once: true });
  }

  /** A ready spare for the command about to run, if one is; either way the pool is topped up. */
  take(): Spare | undefined {
    this.remaining -= 1;
    let spare: Spare | undefined;
    while (!spare && this.idle.length) {
      const next = this.idle.shift()!;
      if (next.alive) spare = next;
    }
    this.fill();
    return spare;
  }

  async close(): Promise<void> {
    this.closed = true;
    const idle = this.idle.splice(0);
    for (const spare of idle) spare.kill();
    await Promise.all(idle.map((s) => s.exited));
  }

  private fill(): void {
    while (!this.closed && this.idle.length < Math.min(SPARES, this.remaining)) {
      const args = [RUNNABLE_BIN, '--await-command', ...this.flags];
      this.idle.push(new Spare(spawnTied(this.rc, process.execPath, args, this.env, SPARE_STDIO)));
    }
  }
}
