/**
 * `success` and `fail` steps end a graph: they record themselves and set the status of the
 * branch (or run) they end, so that whoever runs the graph, in this process or another,
 * finds the outcome in the run log.
 */
import type { FailNode, Graph, SuccessNode } from '../graph/model.js';
import { resolveName, type IterVars } from '../graph/names.js';
import type { RunContext } from '../engine/context.js';
import type { Status } from '../runlog/types.js';
import { newAttempt, newStepLog, now, parentOfBranch, parentOfStep } from './_common.js';

export async function executeTerminal(rc: RunContext, node: SuccessNode | FailNode, graph: Graph, frames: IterVars): Promise<Status> {
  const internalName = resolveName(node.internalName, frames);
  const previous = await rc.log.step(internalName);
  const step = previous ?? newStepLog(node, internalName);
  const attempt = { ...newAttempt(step.attempts.length + 1), status: 'SUCCESS' as const, end_time: now() };
  await rc.log.putStep(parentOfStep(graph, frames), { ...step, status: 'SUCCESS', attempts: [...step.attempts, attempt] });

  const outcome: Status = node.type === 'success' ? 'SUCCESS' : 'FAIL';
  if (graph.internalName) {
    const name = resolveName(graph.internalName, frames);
    const branch = await rc.log.branch(name);
    if (branch) await rc.log.putBranch(parentOfBranch(graph, frames), { ...branch, status: outcome });
  } else {
    const header = await rc.log.header();
    if (header) await rc.log.putHeader({ ...header, status: outcome });
  }
  return outcome;
}
