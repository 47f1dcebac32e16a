/**
 * conditional: runs the branch whose key equals the parameter's value (compared as strings),
 * else the `default` branch; with neither, the step fails. The branch's parameters flow back.
 */
import type { ConditionalNode, Graph } from '../graph/model.js';
import { resolveName } from '../graph/names.js';
import type { Parameters } from '../runlog/types.js';
import { StepFailure, visibleParams } from './_common.js';
import { closeComposite, failedMessage, openBranch, openComposite, readBranches, type Composite } from './_composite.js';

export const conditional: Composite<ConditionalNode> = {
  async fanOut(rc, node, graph, frames) {
    const internalName = await openComposite(rc, node, graph, frames);
    const { key, branch } = chooseBranch(node, await visibleParams(rc, graph, frames));
    const name = `${internalName}.${key}`;
    return (await openBranch(rc, internalName, name, {})) ? [{ graph: branch, internalName: name, frames }] : [];
  },

  async fanIn(rc, node, graph, frames) {
    const internalName = resolveName(node.internalName, frames);
    const { key } = chooseBranch(node, await visibleParams(rc, graph, frames));
    const outcome = await readBranches(rc, [`${internalName}.${key}`], [key]);
    const status = outcome.ok ? 'SUCCESS' : 'FAIL';
    await closeComposite(rc, node, graph, frames, status, outcome.ok ? '' : failedMessage(outcome.failed), outcome.ok ? outcome.parameters[0] : {});
    return { status };
  },
};

export function chooseBranch(node: ConditionalNode, params: Parameters): { key: string; branch: Graph } {
  const param = params[node.parameter];
  if (!param) throw new StepFailure(`conditional parameter '${node.parameter}' is not set`);
  const value = param.value;
  // Python's str(True) is 'True': accept runnable's spelling of booleans too.
  const candidates = typeof value === 'boolean' ? [String(value), value ? 'True' : 'False'] : [typeof value === 'string' ? value : JSON.stringify(value)];
  for (const key of candidates) if (node.branches[key]) return { key, branch: node.branches[key]! };
  if (node.default) return { key: 'default', branch: node.default };
  throw new StepFailure(`no branch matches ${node.parameter}=${JSON.stringify(value)} (branches: ${Object.keys(node.branches).join(', ')}) and there is no default`);
}
