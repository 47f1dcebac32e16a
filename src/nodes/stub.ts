/** A stub step: a placeholder that does nothing and succeeds. */
import type { Graph, StubNode } from '../graph/model.js';
import { resolveName, type IterVars } from '../graph/names.js';
import type { RunContext } from '../engine/context.js';
import type { Status } from '../runlog/types.js';
import { newAttempt, newStepLog, now, parentOfStep } from './_common.js';

export async function executeStub(rc: RunContext, node: StubNode, graph: Graph, frames: IterVars): Promise<Status> {
  const internalName = resolveName(node.internalName, frames);
  const previous = await rc.log.step(internalName);
  const step = previous ?? newStepLog(node, internalName);
  const attempt = { ...newAttempt(step.attempts.length + 1), status: 'SUCCESS' as const, end_time: now() };
  await rc.log.putStep(parentOfStep(graph, frames), { ...step, status: 'SUCCESS', attempts: [...step.attempts, attempt] });
  rc.observer.stepFinished?.({ internalName, type: 'stub', status: 'SUCCESS', durationMs: 0 });
  return 'SUCCESS';
}
