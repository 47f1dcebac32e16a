/**
 * The `emulate` launcher: every command a child process of this one (./_child_process.ts), the
 * `runnable` ones in processes started ahead of their step (./_prestart.ts).
 */
import { handedCodeIdentity } from '../util/git.js';
import { displayCommand } from '../util/sh-words.js';
import { inheritedEnv } from '../secrets/scope.js';
import type { RunContext } from '../engine/context.js';
import { programFor, RUNNABLE_BIN, type Launcher, type StepCommand, type StepProcessResult } from '../engine/launcher.js';
import { commandEnv, runProcess } from './_child_process.js';
import { launchesAtMost, prestartFlags, SparePool } from './_prestart.js';

/**
 * Every command a child process of this one, with this node and this installation (`emulate`).
 * The command runs here, in the run's directory: it takes the run's code identity from this
 * process instead of asking git again (util/git.ts).
 *
 * With `prestart`, the `runnable` commands (steps and fans) run in processes started before
 * their step (./_prestart.ts): the start of Node and the loading of runnable overlap the step
 * before, and a step waits only for its own work.
 */
export class ChildProcessLauncher implements Launcher {
  private spares?: SparePool;
  constructor(private readonly prestart = false) {}

  async launch(rc: RunContext, cmd: StepCommand): Promise<StepProcessResult> {
    const identity = handedCodeIdentity(rc.cwd, await rc.codeIdentity());
    const withIdentity = { ...cmd, env: { ...identity, ...cmd.env } };
    const program = programFor(cmd);
    const args = [program, ...cmd.args];
    const spare = this.prestart && program === RUNNABLE_BIN && !rc.signal.aborted ? this.sparesFor(rc, identity).take() : undefined;
    if (!spare) return runProcess(rc, withIdentity, process.execPath, args);
    rc.observer.debug?.(`${cmd.internalName}: ${displayCommand(process.execPath, args)}`);
    return spare.run(rc, withIdentity, await commandEnv(rc, withIdentity));
  }

  /** The run's spares, started with what every step process of the run starts with: no step's secrets. */
  private sparesFor(rc: RunContext, identity: Record<string, string>): SparePool {
    return (this.spares ??= new SparePool(rc, { ...inheritedEnv(), RUNNABLE_RUN_ID: rc.runId, ...identity }, prestartFlags(rc.pipeline), launchesAtMost(rc.pipeline)));
  }

  async close(): Promise<void> {
    await this.spares?.close();
  }
}
