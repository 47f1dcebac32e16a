/** Helpers shared by the node types: step records, parameter scopes, timing. */
import { isTerminal, type Graph, type PipelineNode } from '../graph/model.js';
import { resolveName, type IterVars } from '../graph/names.js';
import type { RunContext } from '../engine/context.js';
import type { Parameters, Status, StepAttempt, StepRecordData } from '../runlog/types.js';

/** A composite's branch to run: its graph, its resolved internal name and its iteration frames. */
export interface BranchRun {
  graph: Graph;
  internalName: string;
  frames: IterVars;
}

/** What a composite decides after its branches ran: a final status, or more branches (loops). */
export type FanInResult = { status: Status; next?: undefined } | { status: 'PROCESSING'; next: BranchRun[] };

/** An expected failure of a step outside its command (bad map input, no conditional branch...). */
export class StepFailure extends Error {
  override readonly name = 'StepFailure';
}

export const now = (): string => new Date().toISOString();

export function newStepLog(node: PipelineNode, internalName: string, stepType: string = node.type): StepRecordData {
  return {
    name: node.name,
    internal_name: internalName,
    status: 'PROCESSING',
    step_type: stepType,
    message: '',
    mock: false,
    code_identities: [],
    attempts: [],
    data_catalog: [],
  };
}

export function newAttempt(attemptNumber: number, start = now()): StepAttempt {
  return {
    attempt_number: attemptNumber,
    start_time: start,
    end_time: '',
    status: 'PROCESSING',
    message: '',
    input_parameters: {},
    output_parameters: {},
    user_defined_metrics: {},
  };
}

/** Resolved internal names of the branches enclosing `graph`, outermost first. */
export function branchChain(graph: Graph, frames: IterVars): string[] {
  if (!graph.internalName) return [];
  const segs = graph.internalName.split('.');
  const chain: string[] = [];
  for (let i = 2; i <= segs.length; i += 2) chain.push(resolveName(segs.slice(0, i).join('.'), frames));
  return chain;
}

/** The parameters a step in `graph` sees: the run's, overlaid by each enclosing branch's. */
export async function visibleParams(rc: RunContext, graph: Graph, frames: IterVars): Promise<Parameters> {
  return (await scopedParams(rc, graph, frames)).params;
}

/**
 * What `visibleParams` gives, with the names the step's own scope holds: its branch's parameters
 * (map item, loop index, what earlier steps of the branch returned), or the run's at the top level.
 */
export async function scopedParams(rc: RunContext, graph: Graph, frames: IterVars): Promise<{ params: Parameters; own: string[] }> {
  const root = await rc.log.rootParams();
  let params = root;
  let own = Object.keys(root);
  for (const name of branchChain(graph, frames)) {
    const branch = await rc.log.branch(name);
    own = Object.keys(branch?.parameters ?? {});
    if (own.length) params = { ...params, ...branch!.parameters };
  }
  return { params, own };
}

/** Set parameters in the scope of `graph`: the branch's own parameters, or the run's at the top. */
export async function setScopeParams(rc: RunContext, graph: Graph, frames: IterVars, updates: Parameters): Promise<void> {
  if (!Object.keys(updates).length) return;
  if (!graph.internalName) {
    await rc.log.putRootParams({ ...(await rc.log.rootParams()), ...updates });
    return;
  }
  const name = resolveName(graph.internalName, frames);
  const branch = await rc.log.branch(name);
  if (!branch) throw new Error(`branch log '${name}' is missing`);
  await rc.log.putBranch(parentOfBranch(graph, frames), { ...branch, parameters: { ...branch.parameters, ...updates } });
}

/** Resolved internal name of the composite step holding the branch `graph`. */
export function parentOfBranch(graph: Graph, frames: IterVars): string {
  const segs = graph.internalName.split('.');
  return resolveName(segs.slice(0, -1).join('.'), frames);
}

/** Resolved internal name of the branch holding a node of `graph` ('' at the top level). */
export function parentOfStep(graph: Graph, frames: IterVars): string {
  return graph.internalName ? resolveName(graph.internalName, frames) : '';
}

export function durationMs(attempt: StepAttempt): number {
  return Date.parse(attempt.end_time) - Date.parse(attempt.start_time);
}

/**
 * On retry, a step whose last attempt succeeded is not run again (terminal steps always are).
 * Its recorded outputs are applied to its scope again: replaying them in traversal order
 * rebuilds the parameters the next step would have seen, also if the run died between
 * recording the step and applying its outputs. Returns true when the step is skipped. Shared by
 * the traversal and by the protocol commands (an engine with no driver, Argo, runs every pod).
 */
export async function skipSucceeded(rc: RunContext, node: PipelineNode, graph: Graph, frames: IterVars): Promise<boolean> {
  if (!rc.retrying || isTerminal(node)) return false;
  const internalName = resolveName(node.internalName, frames);
  const step = await rc.log.step(internalName);
  if (step?.status !== 'SUCCESS') return false;
  await setScopeParams(rc, graph, frames, step.attempts.at(-1)?.output_parameters ?? {});
  rc.observer.stepSkipped?.({ internalName, type: node.type });
  return true;
}
