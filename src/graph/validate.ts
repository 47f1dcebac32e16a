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
  const state = new Map<string, 'open' | 'done'>();
  const trail: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'open');
    trail.push(name);
    for (const [field, target] of edges(graph.nodes[name]!)) {
      if (state.get(target) === 'open') {
        const loop = [...trail.slice(trail.indexOf(target)), target].join(' -> ');
        throw new RunnableError('E_GRAPH', `cycle: ${loop} (next/on_failure must not lead back)`, {
          step: graph.nodes[name]!.internalName,
          field,
        });
      }
      if (!state.has(target)) visit(target);
    }
    trail.pop();
    state.set(name, 'done');
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
  while (queue.length) {
    const node = graph.nodes[queue.shift()!]!;
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
  const ends = new Set(Object.values(graph.nodes).filter(isTerminal).map((n) => n.name));
  let grew = true;
  while (grew) {
    grew = false;
    for (const node of Object.values(graph.nodes)) {
      if (!ends.has(node.name) && edges(node).some(([, t]) => ends.has(t))) {
        ends.add(node.name);
        grew = true;
      }
    }
  }
  for (const node of Object.values(graph.nodes)) {
    if (!ends.has(node.name)) {
      throw new RunnableError('E_GRAPH', 'no path to a success or fail step', { step: node.internalName });
    }
  }
}
