/** The protocol's answer to a step process that died: the run log says so, and `retry` runs the step again. */
import type { Graph, PipelineNode } from '../graph/model.js';
import { resolveName, type IterVars } from '../graph/names.js';
import { newAttempt, newStepLog, now, parentOfStep } from '../nodes/index.js';
import type { RunContext } from './context.js';

/**
 * For executors whose step process ended without recording the step's end (killed, crashed,
 * or it could not start): records the step FAIL with `message`, so the run log says why and
 * `retry` runs it again. `attemptsBefore` is how many attempts the step had before the launch;
 * a step that recorded a new, finished attempt is left alone.
 */
export async function recordLostStep(rc: RunContext, node: PipelineNode, graph: Graph, frames: IterVars, attemptsBefore: number, message: string): Promise<void> {
  const internalName = resolveName(node.internalName, frames);
  const step = (await rc.log.step(internalName)) ?? newStepLog(node, internalName);
  if (step.status !== 'PROCESSING' && step.attempts.length > attemptsBefore) return;
  const attempt = { ...newAttempt(step.attempts.length + 1), status: 'FAIL' as const, message, end_time: now() };
  await rc.log.putStep(parentOfStep(graph, frames), { ...step, status: 'FAIL', message, attempts: [...step.attempts, attempt] });
}
