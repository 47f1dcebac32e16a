/** The step and branch records every composite node keeps, and the contract of a composite. */
import type { CompositeNode, Graph } from '../graph/model.js';
import { resolveName, type IterVars } from '../graph/names.js';
import type { RunContext } from '../engine/context.js';
import type { Parameters, Status } from '../runlog/types.js';
import { durationMs, newAttempt, newStepLog, now, parentOfStep, setScopeParams, type BranchRun, type FanInResult } from './_common.js';

/**
 * A composite node in two halves, so a remote engine can call them from separate processes:
 * `fanOut` records the step and the branches to run; `fanIn` reads the branches' outcome from
 * the run log and settles the step (or asks for more branches, as a loop does).
 */
export interface Composite<N extends CompositeNode> {
  fanOut(rc: RunContext, node: N, graph: Graph, frames: IterVars): Promise<BranchRun[]>;
  fanIn(rc: RunContext, node: N, graph: Graph, frames: IterVars): Promise<FanInResult>;
}

/** Records the composite step as PROCESSING with a started attempt; returns its resolved name. */
export async function openComposite(rc: RunContext, node: CompositeNode, graph: Graph, frames: IterVars): Promise<string> {
  const internalName = resolveName(node.internalName, frames);
  const previous = await rc.log.step(internalName);
  const step = previous ?? newStepLog(node, internalName);
  const attempt = newAttempt(step.attempts.length + 1);
  await rc.log.putStep(parentOfStep(graph, frames), { ...step, status: 'PROCESSING', attempts: [...step.attempts, attempt] });
  rc.observer.stepStarted?.({ internalName, type: node.type });
  return internalName;
}

/**
 * Settles the composite step with the outcome of its branches. What flows back to the parent
 * (`outputs`) is recorded in the step's attempt before it is applied to the parent's scope, so
 * a crash in between leaves a succeeded step whose outputs `retry` re-applies (see traverse.ts).
 */
export async function closeComposite(
  rc: RunContext,
  node: CompositeNode,
  graph: Graph,
  frames: IterVars,
  status: Status,
  message = '',
  outputs: Parameters = {},
): Promise<void> {
  const internalName = resolveName(node.internalName, frames);
  const step = (await rc.log.step(internalName)) ?? newStepLog(node, internalName);
  const attempts = [...step.attempts];
  const open = attempts.pop() ?? newAttempt(1);
  const closed = { ...open, status, message, end_time: now(), output_parameters: outputs };
  attempts.push(closed);
  await rc.log.putStep(parentOfStep(graph, frames), { ...step, status, message, attempts });
  await setScopeParams(rc, graph, frames, outputs);
  rc.observer.stepFinished?.({ internalName, type: node.type, status, durationMs: durationMs(closed), message });
}

/**
 * Records a branch about to run. On retry an existing branch keeps its parameters (what its
 * finished steps returned); one that succeeded is not run again: returns false.
 */
export async function openBranch(rc: RunContext, parent: string, internalName: string, parameters: Parameters): Promise<boolean> {
  const existing = rc.retrying ? await rc.log.branch(internalName) : undefined;
  if (existing?.status === 'SUCCESS') return false;
  await rc.log.putBranch(parent, existing ? { ...existing, status: 'PROCESSING' } : { internal_name: internalName, status: 'PROCESSING', parameters });
  return true;
}


export interface BranchOutcome {
  /** true when every branch succeeded */
  ok: boolean;
  /** names (as given) of the branches that did not succeed */
  failed: string[];
  /** each branch's own parameters, in the given order */
  parameters: Parameters[];
}

/** Reads the outcome of branches from the run log; `labels` name them in messages. */
export async function readBranches(rc: RunContext, internalNames: string[], labels: string[] = internalNames): Promise<BranchOutcome> {
  const failed: string[] = [];
  const parameters: Parameters[] = [];
  for (let i = 0; i < internalNames.length; i++) {
    const branch = await rc.log.branch(internalNames[i]!);
    if (branch?.status !== 'SUCCESS') failed.push(labels[i]!);
    parameters.push(branch?.parameters ?? {});
  }
  return { ok: failed.length === 0, failed, parameters };
}

export function failedMessage(failed: string[]): string {
  const shown = failed.slice(0, 10).join(', ');
  return `${failed.length} branch(es) failed: ${shown}${failed.length > 10 ? ', ...' : ''}`;
}
