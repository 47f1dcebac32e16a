/** Node types: how each kind of step executes in process. Executors decide where. */
import type { CompositeNode, Graph, PipelineNode } from '../graph/model.js';
import type { IterVars } from '../graph/names.js';
import type { RunContext } from '../engine/context.js';
import type { Status } from '../runlog/types.js';
import type { Composite } from './_composite.js';
import { conditional } from './conditional.js';
import { loop } from './loop.js';
import { map } from './map.js';
import { parallel } from './parallel.js';
import { executeStub } from './stub.js';
import { executeTask, type TaskOptions } from './task.js';
import { executeTerminal } from './terminal.js';

export { StepFailure, setScopeParams, skipSucceeded, visibleParams, type BranchRun, type FanInResult } from './_common.js';
// the step-record vocabulary, for the engine and executors that record steps run elsewhere
export { branchChain, durationMs, newAttempt, newStepLog, now, parentOfBranch, parentOfStep } from './_common.js';
export { closeComposite, type Composite } from './_composite.js';
export type { TaskOptions } from './task.js';

const composites: { [K in CompositeNode['type']]: Composite<Extract<CompositeNode, { type: K }>> } = {
  parallel,
  map,
  conditional,
  loop,
};

export function compositeOf<N extends CompositeNode>(node: N): Composite<N> {
  return composites[node.type] as unknown as Composite<N>;
}

/** Runs a task, stub, success or fail step in this process. */
export function executeLeaf(rc: RunContext, node: Exclude<PipelineNode, CompositeNode>, graph: Graph, frames: IterVars, taskOptions?: TaskOptions): Promise<Status> {
  switch (node.type) {
    case 'task':
      return executeTask(rc, node, graph, frames, taskOptions);
    case 'stub':
      return executeStub(rc, node, graph, frames);
    case 'success':
    case 'fail':
      return executeTerminal(rc, node, graph, frames);
  }
}
