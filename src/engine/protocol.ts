/**
 * The driving side of the step-at-a-time protocol: the shared traversal (traverse.ts) with its
 * hooks replaced by commands run through a `Launcher` (launcher.ts): every task and stub is
 * `runnable execute-single-node`, every composite `runnable fan ... in` (open), its branches,
 * `runnable fan ... out` (close). The launcher says where a command runs; this module builds
 * the commands and reads how they ended.
 *
 * What comes back is read from the run log (step status, message, timing) and from the fan
 * commands' `--json` output (the branches to run; derived from the run log when there is none).
 * A command that dies without recording its end (killed, crashed, could not start) fails its
 * step with the exit status and the tail of its stderr, so `retry` can run it again.
 *
 * `success` and `fail` steps run no user code: this process records them, as runnable's
 * emulate does (`execute-single-node` runs them too, for engines with no resident driver).
 */
import type { CompositeNode, Graph, PipelineNode } from '../graph/model.js';
import { iterVarsToJSON, resolveName, type IterVars } from '../graph/names.js';
import { StepFailure, durationMs, executeLeaf, parentOfStep, type BranchRun, type FanInResult } from '../nodes/index.js';
import { RunnableError } from '../errors.js';
import type { Status, StepRecordData } from '../runlog/types.js';
import { fromBranchSpec, pendingBranches, type BranchSpec } from './branches.js';
import type { RunContext } from './context.js';
import { lostMessage, type Launcher, type StepCommand } from './launcher.js';
import { recordLostStep } from './lost-step.js';
import { Traversal } from './traverse.js';

/** The `runnable fan` words (SPEC §1): `in` opens a composite, `out` closes it. */
export const FAN_OPEN = 'in';
export const FAN_CLOSE = 'out';

type Leaf = Exclude<PipelineNode, CompositeNode>;

export class ProtocolTraversal extends Traversal {
  constructor(
    maxParallel: number,
    readonly launcher: Launcher,
  ) {
    super(maxParallel);
  }

  override async runLeaf(rc: RunContext, node: Leaf, graph: Graph, frames: IterVars): Promise<Status> {
    if (node.type === 'success' || node.type === 'fail') return executeLeaf(rc, node, graph, frames);
    if (!this.elsewhere('execute-single-node', node)) return executeLeaf(rc, node, graph, frames);
    const internalName = resolveName(node.internalName, frames);
    const submitted = await this.launcher.ahead?.beforeLeaf(rc, node, graph, frames);
    const attemptsBefore = submitted ?? (await attemptsOf(rc, internalName));
    if (node.type === 'task') rc.observer.stepStarted?.({ internalName, type: node.type, attempt: attemptsBefore + 1 });
    const cmd = stepCommand(rc, node, frames);
    const result = await this.launcher.launch(rc, cmd);

    // the run log is the truth: a step that recorded its end ended so, whatever the exit status
    let step = await rc.log.step(internalName);
    if (!step || step.status === 'PROCESSING' || step.attempts.length <= attemptsBefore) {
      await recordLostStep(rc, node, graph, frames, attemptsBefore, `${lostMessage(result)}${rc.signal.aborted ? ' (interrupted)' : ''}`);
    }
    step = await this.recordRanAt(rc, cmd, graph, frames);
    const status: Status = step?.status === 'SUCCESS' ? 'SUCCESS' : 'FAIL';
    finished(rc, node, internalName, status, step);
    await this.launcher.ahead?.afterLeaf(node, graph, frames, status);
    return status;
  }

  override async fanOut(rc: RunContext, node: CompositeNode, graph: Graph, frames: IterVars): Promise<BranchRun[]> {
    if (!this.elsewhere('fan', node)) return super.fanOut(rc, node, graph, frames);
    const internalName = resolveName(node.internalName, frames);
    rc.observer.stepStarted?.({ internalName, type: node.type });
    const cmd = fanCommand(rc, node, frames, FAN_OPEN);
    const result = await this.launcher.launch(rc, cmd);
    const step = await this.recordRanAt(rc, cmd, graph, frames);
    if (result.exitCode === 0) {
      const specs = lastJson(result.stdout) as BranchSpec[] | undefined;
      return Array.isArray(specs) ? specs.map((s) => fromBranchSpec(rc.pipeline.graph, s)) : pendingBranches(rc, node, graph, frames);
    }
    // the traversal closes the composite FAIL with this message (again, if `fan` did already)
    throw new StepFailure(result.exitCode === 1 && step?.status === 'FAIL' ? step.message : lostMessage(result));
  }

  override async fanIn(rc: RunContext, node: CompositeNode, graph: Graph, frames: IterVars): Promise<FanInResult> {
    if (!this.elsewhere('fan', node)) return super.fanIn(rc, node, graph, frames);
    const internalName = resolveName(node.internalName, frames);
    const cmd = fanCommand(rc, node, frames, FAN_CLOSE);
    const result = await this.launcher.launch(rc, cmd);
    const step = await this.recordRanAt(rc, cmd, graph, frames);
    if (result.exitCode !== 0 && result.exitCode !== 1) throw new StepFailure(lostMessage(result));
    const report = lastJson(result.stdout) as { status?: Status; next?: BranchSpec[] } | undefined;
    if (step?.status === 'PROCESSING' && result.exitCode === 0) {
      // a loop asks for another iteration
      const next = Array.isArray(report?.next) ? report.next.map((s) => fromBranchSpec(rc.pipeline.graph, s)) : await pendingBranches(rc, node, graph, frames);
      return { status: 'PROCESSING', next };
    }
    if (step?.status !== 'SUCCESS' && step?.status !== 'FAIL') throw new StepFailure(`fan ... out did not close the step: ${lostMessage(result)}`);
    finished(rc, node, internalName, step.status, step);
    return { status: step.status };
  }

  override async runBranches(rc: RunContext, runs: BranchRun[]): Promise<void> {
    await this.launcher.ahead?.beforeBranches(rc, runs);
    return super.runBranches(rc, runs);
  }

  private elsewhere(kind: StepCommand['kind'], node: PipelineNode): boolean {
    return this.launcher.runsElsewhere?.({ kind, node }) ?? true;
  }

  /** Adds where `cmd` ran to its step's code identities; returns the step as recorded now. */
  private async recordRanAt(rc: RunContext, cmd: StepCommand, graph: Graph, frames: IterVars): Promise<StepRecordData | undefined> {
    const step = await rc.log.step(cmd.internalName);
    const ran = step && (await this.launcher.ranAt?.(rc, cmd));
    if (!step || !ran) return step;
    const updated = { ...step, code_identities: [...step.code_identities.filter((c) => !ran.replaces(c)), ran.identity] };
    await rc.log.putStep(parentOfStep(graph, frames), updated);
    return updated;
  }
}

function finished(rc: RunContext, node: PipelineNode, internalName: string, status: Status, step: StepRecordData | undefined): void {
  const last = step?.attempts.at(-1);
  const ms = last ? durationMs(last) : 0;
  rc.observer.stepFinished?.({ internalName, type: node.type, status, durationMs: Number.isFinite(ms) ? ms : 0, message: step?.message ?? '' });
}

async function attemptsOf(rc: RunContext, internalName: string): Promise<number> {
  return (await rc.log.step(internalName))?.attempts.length ?? 0;
}

/** The pipeline file the steps load; a pipeline built in memory has none. */
export function pipelineFile(rc: RunContext): string {
  const { source } = rc.pipeline;
  if (!source.path || source.path.startsWith('<')) {
    throw new RunnableError(
      'E_CONFIG',
      'this executor runs each step from the pipeline file, and this pipeline was built in memory: put it in a module whose default export is the pipeline, or in YAML',
      { field: 'pipeline-executor.type' },
    );
  }
  return source.path;
}

/** The `execute-single-node` command of a task or stub in the iteration `frames`. */
export function stepCommand(rc: RunContext, node: Leaf, frames: IterVars): StepCommand {
  const internalName = resolveName(node.internalName, frames);
  const args = ['execute-single-node', rc.runId, pipelineFile(rc), node.internalName, ...commonArgs(rc, frames)];
  return { kind: 'execute-single-node', args, node, internalName, env: rc.commandEnv?.(internalName, node.type) ?? {} };
}

/** The `fan ... in|out` command of a composite in the iteration `frames`. */
export function fanCommand(rc: RunContext, node: CompositeNode, frames: IterVars, direction: typeof FAN_OPEN | typeof FAN_CLOSE): StepCommand {
  const internalName = resolveName(node.internalName, frames);
  const args = ['fan', rc.runId, node.internalName, pipelineFile(rc), direction, ...commonArgs(rc, frames), '--json'];
  return { kind: 'fan', args, node, internalName, env: rc.commandEnv?.(internalName, node.type) ?? {} };
}

/** The `job-task` command of a job run whose job is in `jobFile`. */
export function jobTaskCommand(rc: RunContext, task: PipelineNode, jobFile: string, internalName: string): StepCommand {
  const args = [rc.runId, jobFile, ...(rc.configFile ? [rc.configFile] : [])];
  return { kind: 'job-task', args, node: task, internalName, env: rc.commandEnv?.(internalName, task.type) ?? {} };
}

/** The fan direction of a `fan` command (`in` or `out`). */
export function fanDirection(cmd: StepCommand): string | undefined {
  return cmd.kind === 'fan' ? cmd.args[4] : undefined;
}

function commonArgs(rc: RunContext, frames: IterVars): string[] {
  const args: string[] = [];
  if (frames.length) args.push('--map-variable', iterVarsToJSON(frames));
  if (rc.configFile) args.push('-c', rc.configFile);
  args.push('--quiet');
  return args;
}

/** The JSON value on the last non-empty line of `stdout`, if it is one. */
function lastJson(stdout: string): unknown {
  const lines = stdout.trimEnd().split('\n');
  try {
    return JSON.parse(lines.at(-1) ?? '');
  } catch {
    return undefined;
  }
}

/** What a fan command printed before its JSON line (a reducer's console.log), to be shown. */
export function beforeJsonLine(stdout: string): string {
  const cut = stdout.trimEnd().lastIndexOf('\n');
  return cut > 0 ? stdout.slice(0, cut + 1) : '';
}
