/**
 * Internal names: how a step is addressed across processes (`execute-single-node`, `fan`).
 *
 * A template name holds one placeholder per enclosing map or loop; the iteration frames
 * (outermost first) fill them in order: `fan.map_variable_placeholder.work` with frame
 * `{chunk: 3}` resolves to `fan.3.work`.
 */
import { RunnableError } from '../errors.js';
import type { CompositeNode, Graph, PipelineNode } from './model.js';

export const MAP_PLACEHOLDER = 'map_variable_placeholder';
export const LOOP_PLACEHOLDER = 'loop_variable_placeholder';

export interface IterFrame {
  kind: 'map' | 'loop';
  /** `iterate_as` of the map or `index_as` of the loop */
  name: string;
  value: string | number;
}
export type IterVars = readonly IterFrame[];

const PLACEHOLDER_RE = new RegExp(`${MAP_PLACEHOLDER}|${LOOP_PLACEHOLDER}`, 'g');

/** Fill the placeholders of a template name from the iteration frames. */
export function resolveName(template: string, frames: IterVars): string {
  let i = 0;
  return template.replace(PLACEHOLDER_RE, () => {
    const frame = frames[i++];
    if (!frame) throw new Error(`no iteration value for placeholder ${i} of '${template}'`);
    return String(frame.value);
  });
}

/** Internal name of the graph that runs a composite's branch `key` (a placeholder for map/loop). */
export function branchInternalName(node: CompositeNode, key?: string): string {
  if (node.type === 'map') return `${node.internalName}.${MAP_PLACEHOLDER}`;
  if (node.type === 'loop') return `${node.internalName}.${LOOP_PLACEHOLDER}`;
  if (key === undefined) throw new Error(`branch key required for ${node.type} '${node.internalName}'`);
  return `${node.internalName}.${key}`;
}

export function childInternalName(graph: Graph, stepName: string): string {
  return graph.internalName ? `${graph.internalName}.${stepName}` : stepName;
}

/** The template of a resolved internal name: map and loop iterations back to their placeholders. */
export function templateName(root: Graph, resolved: string): string {
  const segs = resolved.split('.');
  let graph: Graph | undefined = root;
  for (let i = 0; i + 1 < segs.length && graph; i += 2) {
    const node: PipelineNode | undefined = graph.nodes[segs[i]!];
    if (node?.type === 'map' || node?.type === 'loop') segs[i + 1] = node.type === 'map' ? MAP_PLACEHOLDER : LOOP_PLACEHOLDER;
    graph = node ? subGraph(node, segs[i + 1]!) : undefined;
  }
  return segs.join('.');
}

/** The graph a branch internal name (template) designates, walking down from the root. */
export function findGraph(root: Graph, branchTemplate: string): Graph {
  if (!branchTemplate) return root;
  const segs = branchTemplate.split('.');
  if (segs.length % 2 !== 0) throw unknown(branchTemplate, 'branch');
  let graph = root;
  for (let i = 0; i < segs.length; i += 2) {
    const node = graph.nodes[segs[i]!];
    const key = segs[i + 1]!;
    if (!node) throw unknown(branchTemplate, 'branch');
    graph = subGraph(node, key) ?? (() => { throw unknown(branchTemplate, 'branch'); })();
  }
  return graph;
}

/** The node a step internal name (template) designates, and the graph that holds it. */
export function findNode(root: Graph, stepTemplate: string): { node: PipelineNode; graph: Graph } {
  const cut = stepTemplate.lastIndexOf('.');
  const graph = cut < 0 ? root : findGraph(root, stepTemplate.slice(0, cut));
  const node = graph.nodes[stepTemplate.slice(cut + 1)];
  if (!node) throw unknown(stepTemplate, 'step');
  return { node, graph };
}

/**
 * The branch graph of composite `node` that the name segment `key` stands for: a parallel's or
 * conditional's branch name; for a map or loop its placeholder (template names) or, with
 * `iterations`, any iteration's value (resolved names).
 */
export function subGraph(node: PipelineNode, key: string, iterations = false): Graph | undefined {
  switch (node.type) {
    case 'map':
      return iterations || key === MAP_PLACEHOLDER ? node.branch : undefined;
    case 'loop':
      return iterations || key === LOOP_PLACEHOLDER ? node.branch : undefined;
    case 'parallel':
      return node.branches[key];
    case 'conditional':
      return key === 'default' && node.default ? node.default : node.branches[key];
    default:
      return undefined;
  }
}

function unknown(name: string, what: string): RunnableError {
  return new RunnableError('E_USAGE', `no ${what} with internal name '${name}' in this pipeline`, { step: name });
}

/** `--map-variable` / RUNNABLE_MAP_VARIABLE form: `{"chunk": 3, "i": 0}`, outermost first. */
export function iterVarsToJSON(frames: IterVars): string {
  return JSON.stringify(Object.fromEntries(frames.map((f) => [f.name, f.value])));
}

/**
 * Parse `--map-variable` JSON for a template name: the frames' kinds and names come from the
 * composites on the template's path, their values from the JSON object in order.
 */
export function iterVarsFromJSON(root: Graph, template: string, json: string | undefined): IterFrame[] {
  const composites = compositesOnPath(root, template).filter((n) => n.type === 'map' || n.type === 'loop');
  if (!composites.length) return [];
  let parsed: unknown;
  try {
    parsed = json ? JSON.parse(json) : undefined;
  } catch {
    throw new RunnableError('E_USAGE', `--map-variable is not valid JSON: ${json}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new RunnableError('E_USAGE', `'${template}' is inside ${composites.length} map/loop step(s): pass --map-variable '{"name": value, ...}'`);
  }
  const values = Object.values(parsed as Record<string, unknown>);
  if (values.length < composites.length) {
    throw new RunnableError('E_USAGE', `--map-variable needs ${composites.length} value(s) for '${template}', got ${values.length}`);
  }
  return composites.map((n, i) => {
    const value = values[i];
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new RunnableError('E_USAGE', `--map-variable values must be strings or numbers`);
    }
    return n.type === 'map'
      ? { kind: 'map' as const, name: n.iterateAs, value }
      : { kind: 'loop' as const, name: (n as { indexAs: string }).indexAs, value };
  });
}

/** Composite nodes whose branches enclose `template`, outermost first. */
function compositesOnPath(root: Graph, template: string): CompositeNode[] {
  const segs = template.split('.');
  const out: CompositeNode[] = [];
  let graph: Graph | undefined = root;
  for (let i = 0; i + 1 < segs.length && graph; i += 2) {
    const node: PipelineNode | undefined = graph.nodes[segs[i]!];
    if (!node) break;
    graph = subGraph(node, segs[i + 1]!);
    if (graph) out.push(node as CompositeNode);
  }
  return out;
}
