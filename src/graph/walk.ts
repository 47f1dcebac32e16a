import { branchesOf, isComposite, type Graph, type PipelineNode } from './model.js';

/** Every node of a graph and its branches, depth first, in declaration order. */
export function* walkNodes(graph: Graph): Generator<PipelineNode> {
  for (const node of Object.values(graph.nodes)) {
    yield node;
    if (isComposite(node)) for (const branch of Object.values(branchesOf(node))) yield* walkNodes(branch);
  }
}
