/**
 * Schema-valid YAML -> the model: internal names, implicit terminal nodes, defaults, command
 * type inference, and the per-step checks zod cannot express. Records where each step and
 * branch came from so that later graph errors can carry a line.
 */
import { RunnableError } from '../errors.js';
import type { CompositeNode, Graph, LoopNode, MapNode, PipelineNode, ReturnSpec, StubNode, TaskNode } from '../graph/model.js';
import { branchInternalName, childInternalName } from '../graph/names.js';
import { commandProblem, inferCommandType, returnProblem } from '../graph/command.js';
import { formatField } from './_paths.js';
import type { RawBranch, RawStep, RawTaskFields, RawTerminal } from './schema.js';
import type { YamlFile, YamlPath } from './yaml-file.js';

export class ModelBuilder {
  /** internal name of every step and branch graph -> where it is in the YAML */
  readonly origins = new Map<string, YamlPath>();
  constructor(private readonly y: YamlFile) {}

  fail(message: string, at: YamlPath, step: string | undefined, field: YamlPath = []): never {
    throw new RunnableError('E_SCHEMA', message, {
      file: this.y.file,
      step,
      field: formatField(field),
      line: this.y.lineOf([...at, ...field]),
    });
  }

  graph(raw: RawBranch, internalName: string, at: YamlPath): Graph {
    this.origins.set(internalName, at);
    const step = internalName || undefined;
    const names = Object.keys(raw.steps);
    if (names.length === 0) {
      // top-level fields read `dag.steps`, as in the file
      if (internalName) this.fail('no steps defined', at, step, ['steps']);
      this.fail('no steps defined', [], step, ['dag', 'steps']);
    }
    const graph: Graph = { internalName, startAt: raw.start_at, nodes: {} };
    if (raw.description != null) graph.description = raw.description;
    for (const name of names) {
      graph.nodes[name] = this.node(raw.steps[name]!, name, childInternalName(graph, name), [...at, 'steps', name]);
    }
    // Users may write the terminal nodes themselves, as runnable's examples do.
    for (const type of ['success', 'fail'] as const) {
      if (!graph.nodes[type]) graph.nodes[type] = { type, name: type, internalName: childInternalName(graph, type), overrides: {} };
    }
    return graph;
  }

  private node(raw: RawStep, name: string, internalName: string, at: YamlPath): PipelineNode {
    this.origins.set(internalName, at);
    if ((name === 'success' || name === 'fail') && raw.type !== name) {
      this.fail(`the step named '${name}' is the ${name} node: its type must be ${name}`, at, internalName, ['type']);
    }
    if (raw.type === 'success' || raw.type === 'fail') return { type: raw.type, name, internalName, overrides: {} };
    // RawStub's index signature defeats narrowing on `type`
    return this.traversal(raw as Exclude<RawStep, RawTerminal>, name, internalName, at);
  }

  private traversal(raw: Exclude<RawStep, RawTerminal>, name: string, internalName: string, at: YamlPath): PipelineNode {
    const base: Pick<StubNode, 'name' | 'internalName' | 'next' | 'onFailure' | 'overrides'> = {
      name,
      internalName,
      next: raw.next,
      overrides: { ...(raw.overrides ?? {}) },
    };
    if (raw.on_failure !== undefined) base.onFailure = raw.on_failure;
    switch (raw.type) {
      case 'stub':
        return { type: 'stub', ...base };
      case 'task':
        return { type: 'task', ...base, ...this.task(raw, internalName, at) };
      case 'parallel': {
        const node: CompositeNode = { type: 'parallel', ...base, branches: {} };
        for (const [key, b] of Object.entries(raw.branches)) {
          node.branches[key] = this.graph(b, branchInternalName(node, key), [...at, 'branches', key]);
        }
        if (Object.keys(node.branches).length === 0) this.fail('no branches defined', at, internalName, ['branches']);
        return node;
      }
      case 'conditional': {
        const node: CompositeNode = { type: 'conditional', ...base, parameter: raw.parameter, branches: {} };
        for (const [key, b] of Object.entries(raw.branches)) {
          if (key === 'default') this.fail(`branch name 'default' is reserved: use the 'default' field`, at, internalName, ['branches', key]);
          node.branches[key] = this.graph(b, branchInternalName(node, key), [...at, 'branches', key]);
        }
        if (Object.keys(node.branches).length === 0) this.fail('no branches defined', at, internalName, ['branches']);
        if (raw.default) node.default = this.graph(raw.default, branchInternalName(node, 'default'), [...at, 'default']);
        return node;
      }
      case 'map': {
        // `branch` is filled below: its internal name derives from the node
        const node = { type: 'map', ...base, iterateOn: raw.iterate_on, iterateAs: raw.iterate_as } as MapNode;
        if (raw.reducer != null) node.reducer = raw.reducer;
        node.branch = this.graph(raw.branch, branchInternalName(node), [...at, 'branch']);
        return node;
      }
      case 'loop': {
        const node = {
          type: 'loop',
          ...base,
          maxIterations: raw.max_iterations,
          breakOn: raw.break_on,
          indexAs: raw.index_as,
        } as LoopNode;
        node.branch = this.graph(raw.branch, branchInternalName(node), [...at, 'branch']);
        return node;
      }
    }
  }

  /** The task-specific part of a TaskNode (also the whole of a job). */
  task(raw: RawTaskFields, step: string, at: YamlPath): Omit<TaskNode, 'type' | 'name' | 'internalName' | 'next' | 'onFailure' | 'overrides'> {
    const commandType = raw.command_type ?? inferCommandType(raw.command);
    if (!commandType) {
      this.fail(
        `cannot infer command_type of '${raw.command.trim()}': shell commands need 'command_type: shell' (inferred: .ts/.mts/.js/.mjs -> typescript, .ipynb -> notebook, pkg.module.function -> python)`,
        at,
        step,
        ['command'],
      );
    }
    const problem = commandProblem(commandType, raw.command);
    if (problem) this.fail(`${problem} (command_type ${commandType})`, at, step, ['command']);

    const returns: ReturnSpec[] = [];
    (raw.returns ?? []).forEach((r, i) => {
      const spec: ReturnSpec = typeof r === 'string' ? { name: r, kind: 'json' } : { name: r.name, kind: r.kind ?? 'json' };
      if (returns.some((s) => s.name === spec.name)) this.fail(`duplicate return name '${spec.name}'`, at, step, ['returns', i]);
      const kindProblem = returnProblem(commandType, spec.kind);
      if (kindProblem) this.fail(kindProblem, at, step, ['returns', i, 'kind']);
      returns.push(spec);
    });

    const options: Record<string, unknown> = {};
    if (raw.optional_ploomber_args !== undefined) {
      if (commandType !== 'notebook') this.fail(`unknown field 'optional_ploomber_args' (only for notebook tasks)`, at, step, ['optional_ploomber_args']);
      options.optional_ploomber_args = raw.optional_ploomber_args;
    }

    const out: ReturnType<ModelBuilder['task']> = {
      commandType,
      command: raw.command,
      returns,
      maxAttempts: raw.max_attempts ?? 1,
      ...(raw.retry_delay_seconds ? { retryDelaySeconds: raw.retry_delay_seconds } : {}),
      ...(raw.retry_backoff_factor && raw.retry_backoff_factor !== 1 ? { retryBackoffFactor: raw.retry_backoff_factor } : {}),
      secrets: [...(raw.secrets ?? [])],
      ...(raw.cache !== undefined ? { cache: raw.cache } : {}),
      options,
    };
    if (raw.catalog) {
      out.catalog = { get: [...(raw.catalog.get ?? [])], put: [...(raw.catalog.put ?? [])], storeCopy: raw.catalog.store_copy ?? true };
    }
    return out;
  }
}
