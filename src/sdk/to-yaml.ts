/**
 * The model -> pipeline YAML (SPEC §2), the inverse of the YAML loader: loading the text gives a
 * model with the same `dag_hash`. `command_type` is always written, so nothing depends on
 * inference; the implicit success/fail nodes are left out unless the graph starts at one.
 */
import { stringify } from 'yaml';
import type { Graph, PipelineNode } from '../graph/model.js';

/**
 * YAML text of a pipeline graph.
 * @example writeFileSync('pipeline.yaml', graphToYAML(pipeline.graph));
 */
export function graphToYAML(graph: Graph): string {
  return stringify({ dag: branch(graph) }, { aliasDuplicateObjects: false, lineWidth: 0 });
}

function branch(graph: Graph): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (graph.description) out.description = graph.description;
  out.start_at = graph.startAt;
  const steps: Record<string, unknown> = {};
  for (const node of Object.values(graph.nodes)) {
    const implicit = (node.type === 'success' || node.type === 'fail') && node.name === node.type;
    if (implicit && node.name !== graph.startAt) continue;
    steps[node.name] = step(node);
  }
  out.steps = steps;
  return out;
}

function step(node: PipelineNode): Record<string, unknown> {
  const out: Record<string, unknown> = { type: node.type };
  switch (node.type) {
    case 'success':
    case 'fail':
      return out;
    case 'stub':
      break;
    case 'task':
      out.command_type = node.commandType;
      out.command = node.command;
      if (node.returns.length) out.returns = node.returns.map((r) => (r.kind === 'json' ? r.name : { name: r.name, kind: r.kind }));
      if (node.catalog) out.catalog = { get: node.catalog.get, put: node.catalog.put, store_copy: node.catalog.storeCopy };
      if (node.maxAttempts !== 1) out.max_attempts = node.maxAttempts;
      if (node.retryDelaySeconds !== undefined) out.retry_delay_seconds = node.retryDelaySeconds;
      if (node.retryBackoffFactor !== undefined) out.retry_backoff_factor = node.retryBackoffFactor;
      if (node.secrets.length) out.secrets = node.secrets;
      if (node.cache !== undefined) out.cache = node.cache;
      Object.assign(out, node.options);
      break;
    case 'map':
      out.iterate_on = node.iterateOn;
      out.iterate_as = node.iterateAs;
      if (node.reducer !== undefined) out.reducer = node.reducer;
      break;
    case 'conditional':
      out.parameter = node.parameter;
      break;
    case 'loop':
      out.max_iterations = node.maxIterations;
      out.break_on = node.breakOn;
      out.index_as = node.indexAs;
      break;
    case 'parallel':
      break;
  }
  if (Object.keys(node.overrides).length) out.overrides = node.overrides;
  out.next = node.next;
  if (node.onFailure !== undefined) out.on_failure = node.onFailure;
  // branches last, so a step's own fields stay together above them
  if (node.type === 'parallel' || node.type === 'conditional') {
    out.branches = Object.fromEntries(Object.entries(node.branches).map(([k, g]) => [k, branch(g)]));
  }
  if (node.type === 'conditional' && node.default) out.default = branch(node.default);
  if (node.type === 'map' || node.type === 'loop') out.branch = branch(node.branch);
  return out;
}
