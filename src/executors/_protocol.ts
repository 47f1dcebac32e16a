/**
 * The shared traversal (traverse.ts) driving steps that run in other processes through the
 * step-at-a-time protocol: every task and stub is `runnable execute-single-node`, every
 * composite is `runnable fan ... in` (open), its branches, `runnable fan ... out` (close). Where such a
 * command runs (a child process, a container, ...) is the one thing a subclass says: `launch`.
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
import { StepFailure, executeLeaf, type BranchRun, type FanInResult } from '../nodes/index.js';
import { durationMs } from '../nodes/_common.js';
import { RunnableError } from '../errors.js';
import { fromBranchSpec, pendingBranches, type BranchSpec } from '../runner/branches.js';
import { recordLostStep } from '../runner/single-node.js';
import type { Status, StepRecordData } from '../runlog/types.js';
import type { RunContext } from './context.js';
import { Traversal } from './traverse.js';

/** One protocol command to run somewhere. */
export interface StepCommand {
  kind: 'execute-single-node' | 'fan';
  /** the arguments after `runnable` */
  args: string[];
  /** the step it runs: its node and resolved internal name (for output and messages) */
  node: PipelineNode;
  internalName: string;
}

export interface StepProcessResult {
  /** null when the process was killed by a signal or did not start */
  exitCode: number | null;
  /** the signal that killed it, if one did */
  signal?: string | null;
  /** what it printed on stdout (the fan commands' JSON is its last line) */
  stdout: string;
  /** the end of its stderr, for the failure message of a command that died */
  stderrTail: string;
  /** why it could not start */
  error?: string;
}

/** The `runnable fan` words (SPEC §1): `in` opens a composite, `out` closes it. */
export const FAN_OPEN = 'in';
export const FAN_CLOSE = 'out';

export abstract class ProtocolTraversal extends Traversal {
  /** Runs `runnable <cmd.args>` in the run's working directory and waits for it to end. */
  abstract launch(rc: RunContext, cmd: StepCommand): Promise<StepProcessResult>;

  override async runLeaf(rc: RunContext, node: Exclude<PipelineNode, CompositeNode>, graph: Graph, frames: IterVars): Promise<Status> {
    if (node.type === 'success' || node.type === 'fail') return executeLeaf(rc, node, graph, frames);
    const internalName = resolveName(node.internalName, frames);
    const attemptsBefore = (await rc.log.step(internalName))?.attempts.length ?? 0;
    if (node.type === 'task') rc.observer.stepStarted?.({ internalName, type: node.type, attempt: attemptsBefore + 1 });
    const args = ['execute-single-node', rc.runId, pipelineFile(rc), node.internalName, ...commonArgs(rc, frames)];
    const result = await this.launch(rc, { kind: 'execute-single-node', args, node, internalName });

    // the run log is the truth: a step that recorded its end ended so, whatever the exit status
    let step = await rc.log.step(internalName);
    if (!step || step.status === 'PROCESSING' || step.attempts.length <= attemptsBefore) {
      await recordLostStep(rc, node, graph, frames, attemptsBefore, `${describeEnd(result)}${rc.signal.aborted ? ' (interrupted)' : ''}`);
      step = await rc.log.step(internalName);
    }
    const status: Status = step?.status === 'SUCCESS' ? 'SUCCESS' : 'FAIL';
    finished(rc, node, internalName, status, step);
    return status;
  }

  override async fanOut(rc: RunContext, node: CompositeNode, graph: Graph, frames: IterVars): Promise<BranchRun[]> {
    const internalName = resolveName(node.internalName, frames);
    rc.observer.stepStarted?.({ internalName, type: node.type });
    const result = await this.launch(rc, { kind: 'fan', args: fanArgs(rc, node, frames, FAN_OPEN), node, internalName });
    if (result.exitCode === 0) {
      const specs = lastJson(result.stdout) as BranchSpec[] | undefined;
      return Array.isArray(specs) ? specs.map((s) => fromBranchSpec(rc.pipeline.graph, s)) : pendingBranches(rc, node, graph, frames);
    }
    // the traversal closes the composite FAIL with this message (again, if `fan` did already)
    const step = await rc.log.step(internalName);
    throw new StepFailure(result.exitCode === 1 && step?.status === 'FAIL' ? step.message : describeEnd(result));
  }

  override async fanIn(rc: RunContext, node: CompositeNode, graph: Graph, frames: IterVars): Promise<FanInResult> {
    const internalName = resolveName(node.internalName, frames);
    const result = await this.launch(rc, { kind: 'fan', args: fanArgs(rc, node, frames, FAN_CLOSE), node, internalName });
    if (result.exitCode !== 0 && result.exitCode !== 1) throw new StepFailure(describeEnd(result));
    const step = await rc.log.step(internalName);
    const report = lastJson(result.stdout) as { status?: Status; next?: BranchSpec[] } | undefined;
    if (step?.status === 'PROCESSING' && result.exitCode === 0) {
      // a loop asks for another iteration
      const next = Array.isArray(report?.next) ? report.next.map((s) => fromBranchSpec(rc.pipeline.graph, s)) : await pendingBranches(rc, node, graph, frames);
      return { status: 'PROCESSING', next };
    }
    if (step?.status !== 'SUCCESS' && step?.status !== 'FAIL') throw new StepFailure(`fan ... out did not close the step: ${describeEnd(result)}`);
    finished(rc, node, internalName, step.status, step);
    return { status: step.status };
  }
}

function finished(rc: RunContext, node: PipelineNode, internalName: string, status: Status, step: StepRecordData | undefined): void {
  const last = step?.attempts.at(-1);
  const ms = last ? durationMs(last) : 0;
  rc.observer.stepFinished?.({ internalName, type: node.type, status, durationMs: Number.isFinite(ms) ? ms : 0, message: step?.message ?? '' });
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

function commonArgs(rc: RunContext, frames: IterVars): string[] {
  const args: string[] = [];
  if (frames.length) args.push('--map-variable', iterVarsToJSON(frames));
  if (rc.configFile) args.push('-c', rc.configFile);
  args.push('--quiet');
  return args;
}

function fanArgs(rc: RunContext, node: CompositeNode, frames: IterVars, direction: 'in' | 'out'): string[] {
  return ['fan', rc.runId, node.internalName, pipelineFile(rc), direction, ...commonArgs(rc, frames), '--json'];
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

function describeEnd(r: StepProcessResult): string {
  const how = r.error
    ? `could not start: ${r.error}`
    : r.signal
      ? `was killed by ${r.signal}`
      : `exited with code ${r.exitCode}${r.exitCode === 2 ? ' (bad input)' : ''}`;
  const tail = r.stderrTail.trim();
  return `the step's process ${how}${tail ? `\n--- stderr (last lines) ---\n${tail}` : ''}`;
}
