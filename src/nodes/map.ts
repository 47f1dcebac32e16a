/**
 * map: one branch per item of the `iterate_on` list, the item available as `iterate_as`.
 * Each parameter the iterations return becomes, in the parent, the reduction of its values in
 * iteration order (default: the array of them; else the `reducer` function's result).
 */
import type { MapNode } from '../graph/model.js';
import { resolveName } from '../graph/names.js';
import type { RunContext } from '../engine/context.js';
import { returnedValueProblem } from '../params/json-value.js';
import { loadObject, saveObject } from '../params/objects.js';
import type { Parameter, Parameters } from '../runlog/types.js';
import { isModuleReducer, loadExport, reduceInPython, type ToReduce } from '../tasks/index.js';
import { StepFailure, parentOfStep, visibleParams } from './_common.js';
import { closeComposite, failedMessage, openBranch, openComposite, readBranches, type Composite } from './_composite.js';

export const map: Composite<MapNode> = {
  async fanOut(rc, node, graph, frames) {
    const internalName = await openComposite(rc, node, graph, frames);
    const items = iterationItems(node, await visibleParams(rc, graph, frames));
    const runs = [];
    for (const item of items) {
      const name = `${internalName}.${item}`;
      if (!(await openBranch(rc, internalName, name, { [node.iterateAs]: { kind: 'json', value: item } }))) continue;
      runs.push({ graph: node.branch, internalName: name, frames: [...frames, { kind: 'map' as const, name: node.iterateAs, value: item }] });
    }
    return runs;
  },

  async fanIn(rc, node, graph, frames) {
    const internalName = resolveName(node.internalName, frames);
    const items = iterationItems(node, await visibleParams(rc, graph, frames));
    const outcome = await readBranches(rc, items.map((i) => `${internalName}.${i}`), items.map(String));
    if (!outcome.ok) {
      await closeComposite(rc, node, graph, frames, 'FAIL', failedMessage(outcome.failed));
      return { status: 'FAIL' };
    }
    let reduced;
    try {
      reduced = await reduceReturns(rc, node, parentOfStep(graph, frames), outcome.parameters);
    } catch (err) {
      const message = `reducer failed: ${err instanceof Error ? err.message : String(err)}`;
      await closeComposite(rc, node, graph, frames, 'FAIL', message);
      return { status: 'FAIL' };
    }
    await closeComposite(rc, node, graph, frames, 'SUCCESS', '', reduced);
    return { status: 'SUCCESS' };
  },
};

/** The items to iterate on; they name the branches, so they must be unique strings or numbers without dots. */
export function iterationItems(node: MapNode, params: Parameters): Array<string | number> {
  const param = params[node.iterateOn];
  if (!param) throw new StepFailure(`iterate_on parameter '${node.iterateOn}' is not set`);
  const items = param.value;
  if (!Array.isArray(items)) throw new StepFailure(`iterate_on parameter '${node.iterateOn}' is not a list`);
  const seen = new Set<string>();
  for (const item of items) {
    if (typeof item !== 'string' && typeof item !== 'number') {
      throw new StepFailure(`items of '${node.iterateOn}' name the branches, so they must be strings or numbers; got ${JSON.stringify(item)}`);
    }
    const key = String(item);
    if (!key || key.includes('.')) throw new StepFailure(`map item ${JSON.stringify(item)} cannot name a branch (empty or contains '.')`);
    if (seen.has(key)) throw new StepFailure(`map item ${JSON.stringify(item)} appears twice in '${node.iterateOn}'`);
    seen.add(key);
  }
  return items as Array<string | number>;
}

async function reduceReturns(rc: RunContext, node: MapNode, parentBranch: string, perIteration: Parameters[]): Promise<Parameters> {
  const byName = new Map<string, Parameter[]>();
  for (const params of perIteration) {
    for (const [name, p] of Object.entries(params)) {
      if (name === node.iterateAs) continue;
      let list = byName.get(name);
      if (!list) byName.set(name, (list = []));
      list.push(p);
    }
  }
  const loaded = new Map<string, ToReduce>();
  for (const [name, params] of byName) {
    const kind = params[0]!.kind;
    const values = kind === 'object' ? await Promise.all(params.map((p) => loadObject(rc, String(p.value)))) : params.map((p) => p.value);
    loaded.set(name, { kind, values });
  }
  let reduced: Record<string, unknown>;
  if (node.reducer && !isModuleReducer(node.reducer)) {
    // runnable's Python reducers (`lambda *x: max(x)`, dotted names): one Python call for all names
    reduced = loaded.size ? await reduceInPython(node.reducer, rc.cwd, loaded, rc.signal) : {};
  } else {
    const reducer = node.reducer ? await loadReducer(node.reducer, rc.cwd) : (values: unknown[]) => values;
    reduced = {};
    for (const [name, { values }] of loaded) reduced[name] = await reducer(values);
  }
  const out: Parameters = {};
  for (const [name, { kind }] of loaded) {
    const value = reduced[name];
    if (kind !== 'object') {
      const problem = returnedValueProblem(name, value);
      if (problem) throw new StepFailure(problem);
    }
    out[name] = kind === 'object' ? { kind, value: await saveObject(rc, name, parentBranch, value) } : { kind, value };
  }
  return out;
}

async function loadReducer(spec: string, cwd: string): Promise<(values: unknown[]) => unknown> {
  const fn = await loadExport(spec, cwd);
  if (typeof fn !== 'function') throw new StepFailure(`reducer '${spec}' is not a function`);
  return fn as (values: unknown[]) => unknown;
}
