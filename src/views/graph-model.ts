/**
 * The pipeline as a drawing: boxes, arrows and clusters, independent of the output format
 * (mermaid, dot, svg). A composite step is a cluster that opens with a fork node (the step
 * itself) and closes with a join node; each branch is a sub-cluster whose steps lead to the
 * join when they reach the branch's `success`. Outgoing `next`/`on_failure` edges of a
 * composite leave from its join. Implicit terminals appear only where an edge points to them.
 */
import { branchesOf, isComposite, type CompositeNode, type Graph, type PipelineNode } from '../graph/model.js';
import { childInternalName } from '../graph/names.js';
import type { Status } from '../runlog/types.js';
import type { StepStatusSummary } from './run-statuses.js';

export type DrawnKind = 'task' | 'stub' | 'success' | 'fail' | 'fork' | 'join';

export interface DrawnNode {
  /** unique, format-safe id */
  id: string;
  /** template internal name of the step (join nodes: the composite's name) */
  step: string;
  label: string;
  kind: DrawnKind;
  /** composite type of a fork/join, task command type, ... shown small */
  detail: string;
  cluster?: string;
  /** `--run`: how this step ended in that run (aggregated over map/loop iterations) */
  status?: StepStatusSummary;
}

export interface DrawnEdge {
  from: string;
  to: string;
  failure: boolean;
}

export interface DrawnCluster {
  id: string;
  label: string;
  parent?: string;
}

export interface DrawnGraph {
  nodes: DrawnNode[];
  edges: DrawnEdge[];
  clusters: DrawnCluster[];
}

/** `statuses`: by template internal name, from `runStatuses` */
export function drawPipeline(root: Graph, statuses?: Map<string, StepStatusSummary>): DrawnGraph {
  const out: DrawnGraph = { nodes: [], edges: [], clusters: [] };
  const ids = new Map<string, string>();
  const idFor = (key: string): string => {
    let id = ids.get(key);
    if (!id) ids.set(key, (id = `n${ids.size}`));
    return id;
  };

  const addGraph = (graph: Graph, cluster: string | undefined, exit: { success?: string }) => {
    // nodes an edge points to: implicit terminals are drawn only when used
    const targets = new Set<string>();
    for (const node of Object.values(graph.nodes)) {
      if (node.next) targets.add(node.next);
      if (node.onFailure) targets.add(node.onFailure);
    }
    // where an arrow into step X lands, where an arrow out of X leaves
    const entry = (name: string): string => {
      const node = graph.nodes[name]!;
      if (node.type === 'success' && exit.success) return exit.success;
      return idFor(childInternalName(graph, name));
    };
    const leave = (node: PipelineNode): string => (isComposite(node) ? idFor(`${node.internalName}\0join`) : idFor(node.internalName));

    for (const node of Object.values(graph.nodes)) {
      if (node.type === 'success' || node.type === 'fail') {
        if (!targets.has(node.name) || (node.type === 'success' && exit.success)) continue;
        out.nodes.push({ id: idFor(node.internalName), step: node.internalName, label: node.name, kind: node.type, detail: '', cluster, status: statuses?.get(node.internalName) });
        continue;
      }
      if (isComposite(node)) addComposite(node, cluster);
      else
        out.nodes.push({
          id: idFor(node.internalName),
          step: node.internalName,
          label: node.name,
          kind: node.type,
          detail: node.type === 'task' ? node.commandType : 'stub',
          cluster,
          status: statuses?.get(node.internalName),
        });
      if (node.next) out.edges.push({ from: leave(node), to: entry(node.next), failure: false });
      if (node.onFailure) out.edges.push({ from: leave(node), to: entry(node.onFailure), failure: true });
    }
  };

  const addComposite = (node: CompositeNode, parent: string | undefined) => {
    const cluster = `c${out.clusters.length}`;
    out.clusters.push({ id: cluster, label: `${node.name} (${node.type})`, parent });
    const fork = idFor(node.internalName);
    const join = idFor(`${node.internalName}\0join`);
    const status = statuses?.get(node.internalName);
    out.nodes.push({ id: fork, step: node.internalName, label: node.name, kind: 'fork', detail: compositeDetail(node), cluster, status });
    for (const [key, branch] of Object.entries(branchesOf(node))) {
      const sub = `c${out.clusters.length}`;
      out.clusters.push({ id: sub, label: node.type === 'map' || node.type === 'loop' ? 'each iteration' : key, parent: cluster });
      out.edges.push({ from: fork, to: idFor(childInternalName(branch, branch.startAt)), failure: false });
      addGraph(branch, sub, { success: join });
    }
    out.nodes.push({ id: join, step: node.internalName, label: '', kind: 'join', detail: '', cluster, status });
  };

  addGraph(root, undefined, {});
  return out;
}

function compositeDetail(node: CompositeNode): string {
  switch (node.type) {
    case 'map':
      return `map over ${node.iterateOn}`;
    case 'loop':
      return `loop ≤ ${node.maxIterations}, until ${node.breakOn}`;
    case 'conditional':
      return `on ${node.parameter}`;
    case 'parallel':
      return 'parallel';
  }
}

/** The colour class of a status: one place for every format. */
export function statusClass(s: Status | undefined): string {
  return s === 'SUCCESS' ? 'ok' : s === 'FAIL' ? 'fail' : s === 'PROCESSING' ? 'running' : s === 'CREATED' ? 'created' : 'none';
}

export const STATUS_COLOURS: Record<string, { fill: string; stroke: string }> = {
  ok: { fill: '#dcfce7', stroke: '#16a34a' },
  fail: { fill: '#fee2e2', stroke: '#dc2626' },
  running: { fill: '#dbeafe', stroke: '#2563eb' },
  created: { fill: '#f3f4f6', stroke: '#9ca3af' },
  none: { fill: '#ffffff', stroke: '#475569' },
};
