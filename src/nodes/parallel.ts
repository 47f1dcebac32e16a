/** parallel: every branch runs (even when one fails); parameters merge in declaration order. */
import type { ParallelNode } from '../graph/model.js';
import { resolveName } from '../graph/names.js';
import { closeComposite, failedMessage, openBranch, openComposite, readBranches, type Composite } from './_composite.js';

export const parallel: Composite<ParallelNode> = {
  async fanOut(rc, node, graph, frames) {
    const internalName = await openComposite(rc, node, graph, frames);
    const runs = [];
    for (const [key, branch] of Object.entries(node.branches)) {
      const name = `${internalName}.${key}`;
      if (await openBranch(rc, internalName, name, {})) runs.push({ graph: branch, internalName: name, frames });
    }
    return runs;
  },

  async fanIn(rc, node, graph, frames) {
    const internalName = resolveName(node.internalName, frames);
    const keys = Object.keys(node.branches);
    const outcome = await readBranches(rc, keys.map((k) => `${internalName}.${k}`), keys);
    const status = outcome.ok ? 'SUCCESS' : 'FAIL';
    const merged = outcome.ok ? Object.assign({}, ...outcome.parameters) : {};
    await closeComposite(rc, node, graph, frames, status, outcome.ok ? '' : failedMessage(outcome.failed), merged);
    return { status };
  },
};
