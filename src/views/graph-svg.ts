/**
 * The drawn pipeline laid out by dagre (a compound graph: clusters hold their steps) and
 * rendered to one standalone SVG: no fonts, scripts or images fetched.
 */
import dagre from '@dagrejs/dagre';
import { STATUS_COLOURS, statusClass, type DrawnGraph, type DrawnNode } from './graph-model.js';
import { nodeLines } from './graph-text.js';
import { escapeXml } from './_html.js';

const CHAR_W = 6.6;
const LINE_H = 14;
const CLUSTER_LABEL_H = 18;

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function toSvg(g: DrawnGraph): string {
  const layout = new dagre.graphlib.Graph({ compound: true, multigraph: true });
  layout.setGraph({ rankdir: 'TB', nodesep: 24, ranksep: 36, marginx: 12, marginy: 12 });
  layout.setDefaultEdgeLabel(() => ({}));
  for (const c of g.clusters) layout.setNode(c.id, { width: 0, height: 0, paddingTop: CLUSTER_LABEL_H + 6, label: c.label });
  for (const c of g.clusters) if (c.parent) layout.setParent(c.id, c.parent);
  for (const n of g.nodes) {
    const lines = nodeLines(n);
    const size = n.kind === 'join' ? { width: 12, height: 12 } : { width: Math.max(60, ...lines.map((l) => l.length * CHAR_W)) + 20, height: lines.length * LINE_H + 12 };
    layout.setNode(n.id, size);
    if (n.cluster) layout.setParent(n.id, n.cluster);
  }
  g.edges.forEach((e, i) => layout.setEdge(e.from, e.to, {}, `e${i}`));
  dagre.layout(layout);

  const graph = layout.graph();
  const width = Math.ceil(graph.width ?? 100);
  const height = Math.ceil(graph.height ?? 100);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="runnable-graph" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#475569"/></marker>',
    '<marker id="arrow-fail" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#dc2626"/></marker></defs>',
  ];
  // clusters outermost first, so inner ones paint over their parents
  const depth = (id: string): number => {
    const p = g.clusters.find((c) => c.id === id)?.parent;
    return p ? 1 + depth(p) : 0;
  };
  for (const c of [...g.clusters].sort((a, b) => depth(a.id) - depth(b.id))) {
    const b = topLeft(layout.node(c.id) as Box);
    parts.push(
      `<g class="cluster" data-cluster="${c.id}"><rect x="${b.x}" y="${b.y}" width="${b.width}" height="${b.height}" rx="8" fill="${depth(c.id) % 2 ? '#f8fafc' : '#eef2f7'}" stroke="#94a3b8"/>`,
      `<text x="${b.x + 8}" y="${b.y + 14}" fill="#334155" font-weight="bold">${escapeXml(c.label)}</text></g>`,
    );
  }
  g.edges.forEach((e, i) => {
    const points = (layout.edge({ v: e.from, w: e.to, name: `e${i}` }) as { points?: { x: number; y: number }[] }).points ?? [];
    const d = points.map((p, j) => `${j ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    parts.push(
      e.failure
        ? `<path class="edge on-failure" d="${d}" fill="none" stroke="#dc2626" stroke-dasharray="5,4" marker-end="url(#arrow-fail)"/>`
        : `<path class="edge" d="${d}" fill="none" stroke="#475569" marker-end="url(#arrow)"/>`,
    );
  });
  for (const n of g.nodes) parts.push(drawNode(n, layout.node(n.id) as Box));
  parts.push('</svg>');
  return parts.join('\n');
}

function drawNode(n: DrawnNode, centre: Box): string {
  const b = topLeft(centre);
  const cls = statusClass(n.status?.status);
  const c = STATUS_COLOURS[cls]!;
  const attrs = `class="node ${n.kind} status-${cls}" data-step="${escapeXml(n.step)}"`;
  const title = `<title>${escapeXml(n.step)}${n.status ? ` ${n.status.status}` : ''}</title>`;
  if (n.kind === 'join') return `<g ${attrs}>${title}<circle cx="${centre.x}" cy="${centre.y}" r="6" fill="${c.stroke}"/></g>`;
  let shape: string;
  if (n.kind === 'success' || n.kind === 'fail') shape = `<rect x="${b.x}" y="${b.y}" width="${b.width}" height="${b.height}" rx="${b.height / 2}" fill="${c.fill}" stroke="${n.kind === 'fail' ? '#dc2626' : '#16a34a'}" stroke-width="2"/>`;
  else if (n.kind === 'fork') {
    const k = 10;
    const pts = [[b.x + k, b.y], [b.x + b.width - k, b.y], [b.x + b.width, centre.y], [b.x + b.width - k, b.y + b.height], [b.x + k, b.y + b.height], [b.x, centre.y]];
    shape = `<polygon points="${pts.map((p) => p.join(',')).join(' ')}" fill="${c.fill}" stroke="${c.stroke}" stroke-width="1.5"/>`;
  } else shape = `<rect x="${b.x}" y="${b.y}" width="${b.width}" height="${b.height}" rx="6" fill="${c.fill}" stroke="${c.stroke}" stroke-width="1.5"${n.kind === 'stub' ? ' stroke-dasharray="4,3"' : ''}/>`;
  const lines = nodeLines(n);
  const text = lines
    .map((l, i) => `<text x="${centre.x}" y="${b.y + 6 + LINE_H * (i + 1) - 3}" text-anchor="middle"${i ? ' fill="#475569" font-size="10"' : ' font-weight="bold"'}>${escapeXml(l)}</text>`)
    .join('');
  return `<g ${attrs}>${title}${shape}${text}</g>`;
}

function topLeft(c: Box): Box {
  return { x: c.x - c.width / 2, y: c.y - c.height / 2, width: c.width, height: c.height };
}
