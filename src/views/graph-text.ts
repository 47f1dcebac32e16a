/** The drawn pipeline as Mermaid flowchart and Graphviz dot text. */
import { STATUS_COLOURS, statusClass, type DrawnGraph, type DrawnNode } from './graph-model.js';

/** The text of a box: name, detail, and with `--run` how it ended (`3/4 ✓`). */
export function nodeLines(n: DrawnNode): string[] {
  const lines = n.kind === 'join' ? [] : [n.label];
  if (n.detail && n.kind !== 'join') lines.push(n.detail);
  if (n.status && n.kind !== 'join') {
    const s = n.status;
    lines.push(s.runs > 1 ? `${s.runs - s.failed}/${s.runs} ok · ${s.status}` : s.status);
  }
  return lines;
}

export function toMermaid(g: DrawnGraph): string {
  const esc = (s: string) => s.replace(/"/g, '#quot;').replace(/[<>]/g, (c) => (c === '<' ? '#lt;' : '#gt;'));
  const out = ['flowchart TD'];
  const shape = (n: DrawnNode) => {
    const text = `"${nodeLines(n).map(esc).join('<br/>')}"`;
    switch (n.kind) {
      case 'success':
      case 'fail':
        return `${n.id}(((${text})))`;
      case 'fork':
        return `${n.id}{{${text}}}`;
      case 'join':
        return `${n.id}((" "))`;
      case 'stub':
        return `${n.id}([${text}])`;
      default:
        return `${n.id}[${text}]`;
    }
  };
  const children = byCluster(g);
  const emit = (cluster: string | undefined, depth: number) => {
    const pad = '  '.repeat(depth);
    for (const n of children.nodes.get(cluster) ?? []) out.push(`${pad}${shape(n)}`);
    for (const c of children.clusters.get(cluster) ?? []) {
      out.push(`${pad}subgraph ${c.id}["${esc(c.label)}"]`);
      emit(c.id, depth + 1);
      out.push(`${pad}end`);
    }
  };
  emit(undefined, 1);
  for (const e of g.edges) out.push(`  ${e.from} ${e.failure ? '-.->|on_failure|' : '-->'} ${e.to}`);
  for (const [cls, c] of Object.entries(STATUS_COLOURS)) out.push(`  classDef ${cls} fill:${c.fill},stroke:${c.stroke}`);
  for (const n of g.nodes) if (n.status) out.push(`  class ${n.id} ${statusClass(n.status.status)}`);
  return `${out.join('\n')}\n`;
}

export function toDot(g: DrawnGraph): string {
  const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
  const out = ['digraph pipeline {', '  rankdir=TB; compound=true;', '  node [fontname="Helvetica", fontsize=11, style=filled, fillcolor=white];', '  edge [fontname="Helvetica", fontsize=9];'];
  const shape = (n: DrawnNode) => {
    const c = STATUS_COLOURS[statusClass(n.status?.status)]!;
    const base = `label=${q(nodeLines(n).join('\n'))}, fillcolor=${q(c.fill)}, color=${q(c.stroke)}`;
    switch (n.kind) {
      case 'success':
      case 'fail':
        return `${base}, shape=doublecircle`;
      case 'fork':
        return `${base}, shape=hexagon`;
      case 'join':
        return `label="", shape=circle, width=0.15, fillcolor=${q(c.stroke)}, color=${q(c.stroke)}`;
      case 'stub':
        return `${base}, shape=box, style="rounded,filled,dashed"`;
      default:
        return `${base}, shape=box, style="rounded,filled"`;
    }
  };
  const children = byCluster(g);
  const emit = (cluster: string | undefined, depth: number) => {
    const pad = '  '.repeat(depth);
    for (const n of children.nodes.get(cluster) ?? []) out.push(`${pad}${n.id} [${shape(n)}];`);
    for (const c of children.clusters.get(cluster) ?? []) {
      out.push(`${pad}subgraph cluster_${c.id} {`, `${pad}  label=${q(c.label)}; style=rounded; color="#94a3b8";`);
      emit(c.id, depth + 1);
      out.push(`${pad}}`);
    }
  };
  emit(undefined, 1);
  for (const e of g.edges) out.push(`  ${e.from} -> ${e.to}${e.failure ? ' [style=dashed, color="#dc2626", label="on_failure"]' : ''};`);
  out.push('}');
  return `${out.join('\n')}\n`;
}

/** Nodes and clusters grouped by the cluster that holds them (undefined: the top level). */
export function byCluster(g: DrawnGraph) {
  const nodes = new Map<string | undefined, DrawnNode[]>();
  const clusters = new Map<string | undefined, DrawnGraph['clusters']>();
  for (const n of g.nodes) (nodes.get(n.cluster) ?? nodes.set(n.cluster, []).get(n.cluster)!).push(n);
  for (const c of g.clusters) (clusters.get(c.parent) ?? clusters.set(c.parent, []).get(c.parent)!).push(c);
  return { nodes, clusters };
}
