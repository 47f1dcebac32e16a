/**
 * Steps -> the core model (src/graph/model.ts), exactly as the YAML loader would build the
 * equivalent YAML: internal names, `next` from list order, onFailure pipelines joining the graph,
 * implicit success/fail nodes, branches re-rooted under their composite's internal name.
 *
 * Function commands are written relative to `cwd`, so one SDK pipeline can produce the graph
 * for whichever working directory a run uses.
 */
import { RunnableError } from '../errors.js';
import type { Graph, PipelineNode, StubNode, TaskNode } from '../graph/model.js';
import { branchInternalName, childInternalName } from '../graph/names.js';
import { commandProblem } from '../graph/command.js';
import { commandFor, locateFunction, type AnyFunction } from './locate.js';
import type { Pipeline } from './pipeline.js';
import type { Step } from './types.js';

interface Linked {
  step: Step;
  next?: string;
  onFailure?: string;
}

/** The graph of `pipeline` at internal name `internalName` ('' for the top level). */
export function buildGraph(pipeline: Pipeline, internalName: string, cwd: string): Graph {
  const graph: Graph = { internalName, startAt: pipeline.steps[0]!.name, nodes: {} };
  if (pipeline.description !== undefined) graph.description = pipeline.description;
  for (const { step, next, onFailure } of linked(pipeline, new Set([pipeline]))) {
    const existing = graph.nodes[step.name];
    if (existing) {
      // the same terminal node written twice (e.g. `success()` ending a list and an onFailure pipeline)
      if (existing.type === step.type && (step.type === 'success' || step.type === 'fail')) continue;
      throw new RunnableError(
        'E_GRAPH',
        `duplicate step name '${step.name}': step names must be unique within a pipeline, including the steps of its onFailure pipelines`,
        { step: existing.internalName },
      );
    }
    graph.nodes[step.name] = toNode(step, childInternalName(graph, step.name), next, onFailure, cwd);
  }
  for (const type of ['success', 'fail'] as const) {
    graph.nodes[type] ??= { type, name: type, internalName: childInternalName(graph, type), overrides: {} };
  }
  return graph;
}

/** Each step with its edges: the list in order, then the steps of onFailure pipelines (each pipeline once). */
function linked(pipeline: Pipeline, seen: Set<Pipeline>): Linked[] {
  const { steps } = pipeline;
  const out: Linked[] = steps.map((step, i) => {
    if (step.type === 'success' || step.type === 'fail') return { step };
    const { terminate, onFailure } = step.traversal;
    const next = terminate ?? (i + 1 < steps.length ? steps[i + 1]!.name : 'success');
    return onFailure ? { step, next, onFailure: onFailure.steps[0]!.name } : { step, next };
  });
  for (const step of steps) {
    const failure = step.type === 'success' || step.type === 'fail' ? undefined : step.traversal.onFailure;
    if (failure && !seen.has(failure)) {
      seen.add(failure);
      out.push(...linked(failure, seen));
    }
  }
  return out;
}

function toNode(step: Step, internalName: string, next: string | undefined, onFailure: string | undefined, cwd: string): PipelineNode {
  if (step.type === 'success' || step.type === 'fail') return { type: step.type, name: step.name, internalName, overrides: {} };
  const base: Pick<StubNode, 'name' | 'internalName' | 'next' | 'onFailure' | 'overrides'> = {
    name: step.name,
    internalName,
    next,
    overrides: { ...step.traversal.overrides },
  };
  if (onFailure !== undefined) base.onFailure = onFailure;
  switch (step.type) {
    case 'stub':
      return { type: 'stub', ...base };
    case 'task': {
      const node: TaskNode = {
        type: 'task',
        ...base,
        commandType: step.commandType,
        command: typeof step.command === 'string' ? step.command : located(step.command, internalName, 'command', cwd),
        returns: step.returns.map((r) => ({ ...r })),
        maxAttempts: step.maxAttempts,
        ...(step.retryDelaySeconds !== undefined ? { retryDelaySeconds: step.retryDelaySeconds } : {}),
        ...(step.retryBackoffFactor !== undefined ? { retryBackoffFactor: step.retryBackoffFactor } : {}),
        secrets: [...step.secrets],
        ...(step.cache !== undefined ? { cache: step.cache } : {}),
        options: { ...step.options },
      };
      if (step.catalog) node.catalog = { get: [...step.catalog.get], put: [...step.catalog.put], storeCopy: step.catalog.storeCopy };
      return node;
    }
    case 'parallel': {
      const node: PipelineNode = { type: 'parallel', ...base, branches: {} };
      for (const [key, branch] of Object.entries(step.branches)) {
        node.branches[key] = buildGraph(branch, branchInternalName(node, key), cwd);
      }
      return node;
    }
    case 'conditional': {
      const node: PipelineNode = { type: 'conditional', ...base, parameter: step.parameter, branches: {} };
      for (const [key, branch] of Object.entries(step.branches)) {
        node.branches[key] = buildGraph(branch, branchInternalName(node, key), cwd);
      }
      if (step.default) node.default = buildGraph(step.default, branchInternalName(node, 'default'), cwd);
      return node;
    }
    case 'map': {
      const node = { type: 'map', ...base, iterateOn: step.iterateOn, iterateAs: step.iterateAs } as PipelineNode & { type: 'map' };
      if (step.reducer !== undefined) {
        node.reducer = typeof step.reducer === 'string' ? step.reducer : located(step.reducer, internalName, 'reducer', cwd);
      }
      node.branch = buildGraph(step.branch, branchInternalName(node), cwd);
      return node;
    }
    case 'loop': {
      const node = {
        type: 'loop',
        ...base,
        maxIterations: step.maxIterations,
        breakOn: step.breakOn,
        indexAs: step.indexAs,
      } as PipelineNode & { type: 'loop' };
      node.branch = buildGraph(step.branch, branchInternalName(node), cwd);
      return node;
    }
  }
}

/** The function's `PATH:EXPORT` relative to `cwd`; location errors name the step and field. */
function located(fn: AnyFunction, step: string, field: string, cwd: string): string {
  try {
    const command = commandFor(locateFunction(fn), cwd);
    const problem = commandProblem('typescript', command);
    if (problem) throw new RunnableError('E_COMMAND', `the function's module cannot be named from ${cwd}: ${problem}`);
    return command;
  } catch (e) {
    if (e instanceof RunnableError && !e.where.step) throw new RunnableError(e.code, e.message, { ...e.where, step, field });
    throw e;
  }
}
