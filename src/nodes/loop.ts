/**
 * loop: runs its branch as iteration 0, 1, ... until the branch sets `break_on` to true or
 * `max_iterations` is reached. Iteration N starts from the parameters iteration N-1 ended with;
 * the last iteration's parameters flow back to the parent. Progress is read from the run log
 * (the iteration branches that exist), so fanIn can run in a different process than fanOut.
 */
import type { LoopNode } from '../graph/model.js';
import { resolveName, type IterVars } from '../graph/names.js';
import type { RunContext } from '../engine/context.js';
import type { Parameters } from '../runlog/types.js';
import { visibleParams, type BranchRun } from './_common.js';
import { closeComposite, openBranch, openComposite, type Composite } from './_composite.js';

export const loop: Composite<LoopNode> = {
  async fanOut(rc, node, graph, frames) {
    const internalName = await openComposite(rc, node, graph, frames);
    // On retry, resume at the last iteration: run it again if it did not succeed, else let fanIn go on.
    const last = rc.retrying && (await rc.log.branch(`${internalName}.0`)) ? await lastIteration(rc, internalName) : 0;
    const run = await openIteration(rc, node, internalName, frames, last, {});
    return run ? [run] : [];
  },

  async fanIn(rc, node, graph, frames) {
    const internalName = resolveName(node.internalName, frames);
    const last = await lastIteration(rc, internalName);
    const branchName = `${internalName}.${last}`;
    const branch = await rc.log.branch(branchName);
    // The last iteration's parameters, its index included, are the loop's result (SPEC §3).
    const own: Parameters = { ...branch?.parameters };

    if (branch?.status !== 'SUCCESS') {
      await closeComposite(rc, node, graph, frames, 'FAIL', `iteration ${last} failed`);
      return { status: 'FAIL' };
    }
    const iterFrames: IterVars = [...frames, { kind: 'loop', name: node.indexAs, value: last }];
    const seen = await visibleParams(rc, node.branch, iterFrames);
    const stop = seen[node.breakOn]?.value;
    if (stop !== undefined && typeof stop !== 'boolean') {
      await closeComposite(rc, node, graph, frames, 'FAIL', `break_on parameter '${node.breakOn}' must be a boolean, got ${JSON.stringify(stop)}`);
      return { status: 'FAIL' };
    }
    if (stop === true || last + 1 >= node.maxIterations) {
      await closeComposite(rc, node, graph, frames, 'SUCCESS', stop === true ? '' : `stopped at max_iterations (${node.maxIterations})`, own);
      return { status: 'SUCCESS' };
    }
    const next = await openIteration(rc, node, internalName, frames, last + 1, own);
    return { status: 'PROCESSING', next: next ? [next] : [] };
  },
};

async function openIteration(rc: RunContext, node: LoopNode, internalName: string, frames: IterVars, index: number, carried: Parameters): Promise<BranchRun | undefined> {
  const name = `${internalName}.${index}`;
  if (!(await openBranch(rc, internalName, name, { ...carried, [node.indexAs]: { kind: 'json', value: index } }))) return undefined;
  return { graph: node.branch, internalName: name, frames: [...frames, { kind: 'loop', name: node.indexAs, value: index }] };
}

/** The highest iteration index that has a branch record. */
async function lastIteration(rc: RunContext, internalName: string): Promise<number> {
  let i = 0;
  while (await rc.log.branch(`${internalName}.${i + 1}`)) i++;
  return i;
}
