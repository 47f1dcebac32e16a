/**
 * Which parameters are set when each step starts, as far as the pipeline alone can tell (for the
 * checks before a run, runner/preflight.ts): the initial ones (the parameters file,
 * `RUNNABLE_PRM_*`), what earlier steps declare in `returns`, a map's `iterate_as` and a loop's
 * `index_as` inside their branch, and what composites hand back (SPEC §3: a parallel's merged
 * branches, a map's reductions, the chosen conditional branch's, the last loop iteration's).
 *
 * A name is `sure` when every path from `start_at` sets it, `maybe` when at least one does:
 * nothing runs here, so which branch a conditional takes and whether a step fails are not known.
 * A failed step or composite sets nothing, so an `on_failure` edge carries what was set before it.
 * A loop's first iteration sees only what was set before the loop (later ones also see what the
 * previous one returned), so that is what its branch is checked with.
 */
import type { Graph, PipelineNode } from './model.js';
import { walkNodes } from './walk.js';

export interface Available {
  /** set on every path to the step */
  sure: ReadonlySet<string>;
  /** set on at least one path (a superset of `sure`) */
  maybe: ReadonlySet<string>;
}

/** What is set when each step starts, by internal name (templates: `m.map_variable_placeholder.s`); unreachable steps are absent. */
export function availableBefore(graph: Graph, initial: Iterable<string>): Map<string, Available> {
  const out = new Map<string, Available>();
  const names = new Set(initial);
  flow(graph, { sure: names, maybe: names }, out);
  return out;
}

/** Records each node of `graph` entered with `entry`; returns what is set on reaching its success (undefined: never). */
function flow(graph: Graph, entry: Available, out: Map<string, Available>): Available | undefined {
  const incoming = new Map<string, Available[]>([[graph.startAt, [entry]]]);
  const ends: Available[] = [];
  for (const node of topological(graph)) {
    const before = merge(incoming.get(node.name) ?? []);
    if (!before) continue;
    out.set(node.internalName, before);
    if (node.type === 'success') ends.push(before);
    if (node.type === 'success' || node.type === 'fail') continue;
    const after = afterSuccess(node, before, out);
    if (after && node.next) push(incoming, node.next, after);
    if (node.onFailure) push(incoming, node.onFailure, before);
  }
  return merge(ends);
}

/** What is set once `node` succeeded, entered with `before`; undefined when it cannot succeed. */
function afterSuccess(node: PipelineNode, before: Available, out: Map<string, Available>): Available | undefined {
  switch (node.type) {
    case 'task':
      return add(before, node.returns.map((r) => r.name));
    case 'parallel': {
      // every branch must succeed, and their parameters are all merged
      const ends = Object.values(node.branches).map((b) => flow(b, before, out));
      if (ends.some((e) => !e)) return undefined;
      return union([before, ...(ends as Available[])]);
    }
    case 'conditional': {
      // one branch runs: what all of them set is sure, what some set is maybe
      const branches = node.default ? [...Object.values(node.branches), node.default] : Object.values(node.branches);
      const ends = branches.map((b) => flow(b, before, out)).filter((e): e is Available => !!e);
      const chosen = merge(ends);
      return chosen && union([before, chosen]);
    }
    case 'map': {
      // each returned name becomes its reduction; the item itself is not handed back
      const end = flow(node.branch, add(before, [node.iterateAs]), out);
      if (!end) return undefined;
      const returned = (set: ReadonlySet<string>, outer: ReadonlySet<string>) => [...set].filter((n) => n !== node.iterateAs || outer.has(n));
      return { sure: new Set([...before.sure, ...returned(end.sure, before.sure)]), maybe: new Set([...before.maybe, ...returned(end.maybe, before.maybe)]) };
    }
    case 'loop': {
      const end = flow(node.branch, add(before, [node.indexAs]), out);
      return end && union([before, end]);
    }
    default:
      return before; // a stub sets nothing
  }
}

/** The nodes reachable from start_at, each after every node with an edge into it (Kahn's order: no recursion on long chains). */
function topological(graph: Graph): PipelineNode[] {
  const targets = (n: PipelineNode) => [n.next, n.onFailure].filter((t): t is string => t !== undefined && t in graph.nodes);
  const reached = [graph.startAt];
  const seen = new Set(reached);
  for (let i = 0; i < reached.length; i++) {
    for (const t of targets(graph.nodes[reached[i]!]!)) if (!seen.has(t) && seen.add(t)) reached.push(t);
  }
  const into = new Map<string, number>();
  for (const name of reached) for (const t of targets(graph.nodes[name]!)) into.set(t, (into.get(t) ?? 0) + 1);
  const order: PipelineNode[] = [];
  const ready = reached.filter((n) => !into.get(n));
  while (ready.length) {
    const node = graph.nodes[ready.pop()!]!;
    order.push(node);
    for (const t of targets(node)) {
      const left = into.get(t)! - 1;
      into.set(t, left);
      if (left === 0) ready.push(t);
    }
  }
  return order; // a cycle (refused when the pipeline loads) would leave its nodes out
}

function push(incoming: Map<string, Available[]>, name: string, a: Available): void {
  const list = incoming.get(name);
  if (list) list.push(a);
  else incoming.set(name, [a]);
}

/** Several paths meeting: sure on all of them, maybe on any. */
function merge(paths: readonly Available[]): Available | undefined {
  if (!paths.length) return undefined;
  if (paths.length === 1) return paths[0];
  const sure = new Set([...paths[0]!.sure].filter((n) => paths.every((p) => p.sure.has(n))));
  return { sure, maybe: new Set(paths.flatMap((p) => [...p.maybe])) };
}

function union(all: readonly Available[]): Available {
  return { sure: new Set(all.flatMap((a) => [...a.sure])), maybe: new Set(all.flatMap((a) => [...a.maybe])) };
}

function add(a: Available, names: readonly string[]): Available {
  return names.length ? { sure: new Set([...a.sure, ...names]), maybe: new Set([...a.maybe, ...names]) } : a;
}

/** The steps (internal names) whose `returns` name `param`, anywhere in the pipeline: for hints. */
export function returnedBy(graph: Graph, param: string): string[] {
  return [...walkNodes(graph)].filter((n) => n.type === 'task' && n.returns.some((r) => r.name === param)).map((n) => n.internalName);
}
