/**
 * Where a protocol command runs: the one thing that differs between the executors that run
 * steps (or a job's task) in other processes. A `Launcher` starts a command — a child process
 * (`emulate`), a container (`local-container`), an `sbatch` job (`slurm`), next a Kubernetes
 * pod/Job — waits for it to end and says how it ended. The protocol traversal (protocol.ts) and
 * the job executors compose one; none re-builds a command line or reads a step's end itself.
 *
 * A launcher must:
 * - run `programFor(cmd)` with `cmd.args` in the run's working directory (`rc.cwd`), with this
 *   process's environment where the place has one (`RUNNABLE_*`, the step's secrets by name) plus
 *   `cmd.env` (e.g. W3C `TRACEPARENT`), set in the command's process;
 * - stream what the command prints to `rc.observer.output(cmd.internalName, 1|2, chunk)`, except
 *   the JSON line a `fan` command prints last, which stays in `stdout` for the protocol to read;
 * - stop the command when `rc.signal` aborts (SIGTERM, a cancelled job): the step records itself
 *   FAIL, or the protocol records it lost;
 * - never throw for a command that failed or could not start: that is a `StepProcessResult`.
 */
import type { CompositeNode, Graph, PipelineNode } from '../graph/model.js';
import type { IterVars } from '../graph/names.js';
import type { BranchRun } from '../nodes/index.js';
import type { CodeIdentity, Status } from '../runlog/types.js';
import { installed } from '../util/package-root.js';
import type { RunContext } from './context.js';

/**
 * `execute-single-node` and `fan` are `runnable` commands (SPEC §1); `job-task` runs the task of
 * an existing job run (the job entry: `RUN_ID JOB [CONFIG]`).
 */
export type CommandKind = 'execute-single-node' | 'fan' | 'job-task';

/** One protocol command to run somewhere. */
export interface StepCommand {
  kind: CommandKind;
  /** the arguments after the program (`programFor`) */
  args: string[];
  /** the step it runs: its node and resolved internal name (for output and messages) */
  node: PipelineNode;
  internalName: string;
  /** environment variables the command's process gets on top of the launcher's (TRACEPARENT, ...) */
  env: Record<string, string>;
}

export interface StepProcessResult {
  /** null when the process was killed by a signal or did not start */
  exitCode: number | null;
  /** the signal that killed it, if one did */
  signal?: string | null;
  /** how it ended, in the launcher's words, when it knows more than an exit status (Slurm: the job's state and reason) */
  reason?: string;
  /** what it printed on stdout (the fan commands' JSON is its last line) */
  stdout: string;
  /** the end of its stderr, for the failure message of a command that died */
  stderrTail: string;
  /** why it could not start */
  error?: string;
}

/** Where a command ran, for its step's (or job's) code identities; it replaces the entries `replaces` matches. */
export interface RanAt {
  identity: CodeIdentity;
  replaces(existing: CodeIdentity): boolean;
}

export interface Launcher {
  /** Runs `cmd` and waits for it to end (see the module comment for what that includes). */
  launch(rc: RunContext, cmd: StepCommand): Promise<StepProcessResult>;
  /**
   * false for the commands this launcher leaves to the driver's process, which then runs them as
   * `local` does (local-container: stubs, terminal steps and composites run no user code).
   * Absent: every command runs through `launch`.
   */
  runsElsewhere?(cmd: Pick<StepCommand, 'kind' | 'node'>): boolean;
  /** Where `cmd` ran once it ended (an image, a Slurm job); absent or undefined: nothing to record. */
  ranAt?(rc: RunContext, cmd: StepCommand): Promise<RanAt | undefined>;
  /** For launchers that submit commands before the traversal reaches them (Slurm). */
  ahead?: AheadPlanner;
}

/** A launcher's view of the traversal, to start commands ahead of it (chains, job arrays). */
export interface AheadPlanner {
  /**
   * Called before the traversal runs the leaf `node`: may submit it and what follows it. Returns
   * the step's attempts when its command was submitted, if that was before now.
   */
  beforeLeaf(rc: RunContext, node: Exclude<PipelineNode, CompositeNode>, graph: Graph, frames: IterVars): Promise<number | undefined>;
  /** Called once the leaf ended: a failed step's successors submitted ahead will not run. */
  afterLeaf(node: Exclude<PipelineNode, CompositeNode>, graph: Graph, frames: IterVars, status: Status): Promise<void>;
  /** Called before a composite's branches run. */
  beforeBranches(rc: RunContext, runs: BranchRun[]): Promise<void>;
}

/** The `runnable` command line of this installation. */
export const RUNNABLE_BIN = installed('bin/runnable.js');
/** The job entry of this installation (src/entries/job-task.ts, bundled). */
export const JOB_TASK_ENTRY = installed('dist/bundle/container-job.mjs');

/**
 * The pipe a step process started ahead of its step (`runnable --await-command`, emulate) reads
 * its command from, after stdin, stdout and stderr: both sides of that hand-over name it here.
 */
export const AWAITED_COMMAND_FD = 3;

/** The script a node process runs `cmd.args` with. */
export function programFor(cmd: Pick<StepCommand, 'kind'>): string {
  return cmd.kind === 'job-task' ? JOB_TASK_ENTRY : RUNNABLE_BIN;
}

/** How a command that did not record its end ended, a sentence: "the step's process was killed by SIGKILL". */
export function describeEnd(r: StepProcessResult, who = "the step's process"): string {
  if (r.reason) return r.reason;
  const how = r.error
    ? `could not start: ${r.error}`
    : r.signal
      ? `was killed by ${r.signal}`
      : `exited with code ${r.exitCode}${r.exitCode === 2 ? ' (bad input)' : ''}`;
  return `${who} ${how}`;
}

/** `describeEnd` and the tail of its stderr, as a failure message. */
export function lostMessage(r: StepProcessResult, who?: string): string {
  const tail = r.stderrTail.trim();
  return `${describeEnd(r, who)}${tail ? `\n--- stderr (last lines) ---\n${tail}` : ''}`;
}
