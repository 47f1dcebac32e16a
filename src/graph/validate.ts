/**
 * Graph checks on the model, so that a pipeline built with the SDK is held to the same rules as
 * one loaded from YAML. Errors are E_GRAPH and name the step by internal name (or the branch,
 * for `start_at`); the YAML loader adds file and line.
 */
import { RunnableError } from '../errors.js';
import { branchesOf, isComposite, isTerminal } from './model.js';
import type { Graph, PipelineNode } from './model.js';

/** Throws on the first problem; checks a graph before the branches inside it, to any depth. */
export function validateGraph(graph: Graph): void {
  checkEdges(graph);
  checkCycles(graph);
  checkReachable(graph);
  checkEndsReachable(graph);
  for (const node of Object.values(graph.nodes)) {
    if (!isComposite(node)) continue;
    for (const branch of Object.values(branchesOf(node))) validateGraph(branch);
  }
}

type Edge = 'next' | 'on_failure';

function edges(node: PipelineNode): [Edge, string][] {
  const out: [Edge, string][] = [];
  if (node.next !== undefined) out.push(['next', node.next]);
  if (node.onFailure !== undefined) out.push(['on_failure', node.onFailure]);
  return out;
}

const known = (graph: Graph) => Object.keys(graph.nodes).join(', ');
const graphStep = (graph: Graph) => graph.internalName || undefined;

function checkEdges(graph: Graph): void {
  if (!graph.nodes[graph.startAt]) {
    throw new RunnableError('E_GRAPH', `unknown step '${graph.startAt}' (known: ${known(graph)})`, {
      step: graphStep(graph),
      field: 'start_at',
    });
  }
  for (const node of Object.values(graph.nodes)) {
    if (!isTerminal(node) && node.next === undefined) {
      throw new RunnableError('E_GRAPH', `missing 'next' (every step but success and fail needs one)`, {
        step: node.internalName,
        field: 'next',
      });
    }
    for (const [field, target] of edges(node)) {
      if (!graph.nodes[target]) {
        throw new RunnableError('E_GRAPH', `unknown step '${target}' (known: ${known(graph)})`, {
          step: node.internalName,
          field,
        });
      }
    }
  }
}

function checkCycles(graph: Graph): void {
  // Iterative DFS: a 10,000-step chain must not overflow the stack.
  const state = new Map<string, 'open' | 'done'>();
  const visit = (root: string): void => {
    const stack: Array<{ name: string; out: [Edge, string][]; i: number }> = [];
    const enter = (name: string) => {
      state.set(name, 'open');
      stack.push({ name, out: edges(graph.nodes[name]!), i: 0 });
    };
    enter(root);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      if (top.i >= top.out.length) {
        state.set(top.name, 'done');
        stack.pop();
        continue;
      }
      const [field, target] = top.out[top.i++]!;
      if (state.get(target) === 'open') {
        const trail = stack.map((f) => f.name);
        const loop = [...trail.slice(trail.indexOf(target)), target].join(' -> ');
        throw new RunnableError('E_GRAPH', `cycle: ${loop} (next/on_failure must not lead back)`, {
          step: graph.nodes[top.name]!.internalName,
          field,
        });
      }
      if (!state.has(target)) enter(target);
    }
  };
  // From start_at first so the reported cycle is the one a run would hit.
  for (const name of [graph.startAt, ...Object.keys(graph.nodes)]) if (!state.has(name)) visit(name);
}

/** Implicit (or user-written) terminal nodes under their reserved names need not be reachable. */
const exempt = (node: PipelineNode) =>
  (node.type === 'success' && node.name === 'success') || (node.type === 'fail' && node.name === 'fail');

function checkReachable(graph: Graph): void {
  const seen = new Set<string>([graph.startAt]);
  const queue = [graph.startAt];
  for (let q = 0; q < queue.length; q++) {
    const node = graph.nodes[queue[q]!]!;
    for (const [, target] of edges(node)) {
      if (!seen.has(target)) {
        seen.add(target);
        queue.push(target);
      }
    }
  }
  for (const node of Object.values(graph.nodes)) {
    if (!seen.has(node.name) && !exempt(node)) {
      throw new RunnableError('E_GRAPH', `unreachable: no next/on_failure path leads here from start_at '${graph.startAt}'`, {
        step: node.internalName,
      });
    }
  }
}

function checkEndsReachable(graph: Graph): void {
  // Walk the edges backwards from the terminal steps: linear in the size of the graph.
  const into = new Map<string, string[]>();
  for (const node of Object.values(graph.nodes)) {
    for (const [, target] of edges(node)) {
      let list = into.get(target);
      if (!list) into.set(target, (list = []));
      list.push(node.name);
    }
  }
  const queue = Object.values(graph.nodes).filter(isTerminal).map((n) => n.name);
  const ends = new Set(queue);
  for (let q = 0; q < queue.length; q++) {
    for (const from of into.get(queue[q]!) ?? []) {
      if (!ends.has(from)) {
        ends.add(from);
        queue.push(from);
      }
    }
  }
  for (const node of Object.values(graph.nodes)) {
    if (!ends.has(node.name)) {
      throw new RunnableError('E_GRAPH', 'no path to a success or fail step', { step: node.internalName });
    }
  }
}
