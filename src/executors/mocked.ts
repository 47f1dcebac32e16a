/**
 * `mocked` (SPEC §6): the pipeline's traversal without its work. Tasks without a patch are not
 * run: each is recorded as a succeeded step with `mock: true` (and no outputs). A patched task
 * runs the patch's command instead of its own (`command_type` may change: a TypeScript step
 * patched by a shell command). Composite steps run normally, so branches, map fan-out,
 * conditionals and loops are still exercised; stubs and terminal steps run as always.
 *
 * Patches are keyed, as in runnable, by step name, which patches every task of that name
 * wherever it is nested. A key with dots addresses one task by internal name: the template
 * (`map_step.map_variable_placeholder.inner`, every iteration) or a resolved one
 * (`map_step.3.inner`, that iteration only). The most specific key wins: resolved internal
 * name, then template internal name, then step name. A key that addresses no task step is an
 * exit-2 config error naming it.
 *
 * Without `command_type`, a patch keeps the step's command type when its command fits it, else
 * the type inferred from the command (`x.ts:fn` typescript, `a.ipynb` notebook, `pkg.mod.fn`
 * python), else `shell` — so `command: exit 1` fails any step.
 *
 * @example
 * # mocked-config.yaml: only `fetch data` runs, as a shell command
 * pipeline-executor:
 *   type: mocked
 *   config:
 *     patches:
 *       fetch data:
 *         command: cp fixtures/sample.csv data.csv
 *         command_type: shell
 */
import * as z from 'zod';
import { RunnableError } from '../errors.js';
import { isComposite, type CommandType, type CompositeNode, type Graph, type Pipeline, type PipelineNode, type TaskNode } from '../graph/model.js';
import { LOOP_PLACEHOLDER, MAP_PLACEHOLDER, resolveName, type IterVars } from '../graph/names.js';
import { walkNodes } from '../graph/walk.js';
import { executeLeaf } from '../nodes/index.js';
import type { Plugin } from '../registry.js';
import type { Status } from '../runlog/types.js';
import { commandProblem, inferCommandType, returnProblem } from '../graph/command.js';
import { COMMAND_TYPES } from '../graph/rules.js';
import { bindArguments, functionIdentity, mapReturns, runInTaskContext } from '../tasks/index.js';
import { TaskFailure, type TaskKind } from '../tasks/types.js';
import type { RunContext } from '../engine/context.js';
import { Traversal } from '../engine/traverse.js';
import type { PipelineExecutor } from './types.js';

/** A patch in the config: the command to run instead of the step's own. */
export interface CommandPatch {
  command: string;
  /** default: the step's own type when the command fits it, else inferred, else shell */
  command_type?: CommandType;
}

/**
 * A patch given in code (the testing helpers): a command, or a function called in process with
 * its parameters bound by name, whose return value is mapped onto the step's `returns`.
 */
export type Patch = CommandPatch | ((...args: never[]) => unknown);

export interface MockedOptions {
  /** by step name, template internal name or resolved internal name */
  patches?: Record<string, Patch>;
  /** tasks without a patch: `mock` (the config's behaviour) records them as mocked, `run` runs them */
  unpatched?: 'mock' | 'run';
  /** branches of one composite that run at once (default 1) */
  maxParallel?: number;
  /** the config file, for messages */
  configFile?: string;
  /** where the patches were given, for messages (default `pipeline-executor.config.patches`) */
  patchesField?: string;
}

export const mockedConfig = z.strictObject({
  patches: z
    .record(z.string().min(1), z.strictObject({ command: z.string().trim().min(1), command_type: z.enum(COMMAND_TYPES).optional() }))
    .default({}),
});

export class MockedExecutor implements PipelineExecutor {
  readonly type = 'mocked';
  readonly exclusive = true;
  readonly patches: ReadonlyMap<string, Patch>;
  readonly unpatched: 'mock' | 'run';
  readonly maxParallel: number;
  private readonly configFile: string | undefined;
  private readonly patchesField: string;
  /** patched nodes by `key \0 template internal name` */
  private readonly patched = new Map<string, { node: TaskNode; kind?: TaskKind }>();

  constructor(opts: MockedOptions = {}) {
    this.patches = new Map(Object.entries(opts.patches ?? {}));
    this.unpatched = opts.unpatched ?? 'mock';
    this.maxParallel = opts.maxParallel ?? 1;
    this.configFile = opts.configFile;
    this.patchesField = opts.patchesField ?? 'pipeline-executor.config.patches';
    for (const [key, patch] of this.patches) {
      if (typeof patch === 'function') continue;
      if (!patch || typeof patch !== 'object' || typeof patch.command !== 'string' || !patch.command.trim()) {
        throw this.error(`patch '${key}' must be a function or {command, command_type?}`, key);
      }
    }
  }

  execute(rc: RunContext): Promise<Status> {
    return new MockedTraversal(this).runGraph(rc, rc.pipeline.graph, []);
  }

  /** Every patch addresses a task; what will run is what gets checked. */
  pipelineToCheck(pipeline: Pipeline): Pipeline {
    const tasks = [...walkNodes(pipeline.graph)].filter((n): n is TaskNode => n.type === 'task');
    const unknown = [...this.patches.keys()].filter((key) => !tasks.some((t) => addresses(key, t)));
    if (unknown.length) {
      const names = [...new Set(tasks.map((t) => t.name))];
      throw this.error(
        `unknown patch${unknown.length > 1 ? 'es' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}: no task step has that name or internal name` +
          ` (tasks: ${names.length ? names.map((n) => `'${n}'`).join(', ') : 'none'})`,
      );
    }
    const graph = mapTasks(pipeline.graph, (node) => {
      const keys = [...this.patches.keys()].filter((key) => addresses(key, node));
      for (const key of keys) this.patchedNode(node, key); // every patch that can apply must fit the step
      // the patch every iteration gets; one for some iterations only leaves the others unpatched
      const key = keys.filter((k) => specificity(k, node) < 3).sort((a, b) => specificity(b, node) - specificity(a, node))[0];
      if (key === undefined) return this.unpatched === 'run' ? node : asStub(node);
      const { node: patched, kind } = this.patchedNode(node, key);
      return kind ? asStub(node) : patched;
    });
    return { ...pipeline, graph };
  }

  /** The patch for a task at `resolved` (its internal name with this iteration's values), if any. */
  patchFor(node: TaskNode, resolved: string): { node: TaskNode; kind?: TaskKind } | undefined {
    for (const key of [resolved, node.internalName, node.name]) if (this.patches.has(key)) return this.patchedNode(node, key);
    return undefined;
  }

  private patchedNode(node: TaskNode, key: string): { node: TaskNode; kind?: TaskKind } {
    const id = `${key}\0${node.internalName}`;
    let done = this.patched.get(id);
    if (done) return done;
    const patch = this.patches.get(key)!;
    if (typeof patch === 'function') {
      done = { node, kind: functionKind(patch, `patch '${key}'`) };
    } else {
      const command = patch.command.trim();
      const commandType = patch.command_type ?? (commandProblem(node.commandType, command) ? inferCommandType(command) ?? 'shell' : node.commandType);
      const problem = commandProblem(commandType, command);
      if (problem) throw this.error(`patch '${key}': ${problem} (command_type ${commandType})`, key, 'command');
      const refused = node.returns.filter((r) => returnProblem(commandType, r.kind));
      if (refused.length) {
        throw this.error(`patch '${key}' is a ${commandType} command, but step '${node.internalName}' returns ${refused[0]!.kind}s (${refused.map((r) => r.name).join(', ')}): ${returnProblem(commandType, refused[0]!.kind)}`, key);
      }
      done = { node: { ...node, command, commandType, options: commandType === node.commandType ? node.options : {} } };
    }
    this.patched.set(id, done);
    return done;
  }

  private error(message: string, key?: string, field?: string): RunnableError {
    const at = [this.patchesField, key, field].filter((s) => s !== undefined).join('.');
    return new RunnableError('E_CONFIG', message, { file: this.configFile, field: at });
  }
}

/** The shared traversal; only where a task runs changes. */
class MockedTraversal extends Traversal {
  constructor(private readonly executor: MockedExecutor) {
    super(executor.maxParallel);
  }

  override runLeaf(rc: RunContext, node: Exclude<PipelineNode, CompositeNode>, graph: Graph, frames: IterVars): Promise<Status> {
    if (node.type !== 'task') return super.runLeaf(rc, node, graph, frames);
    const patch = this.executor.patchFor(node, resolveName(node.internalName, frames));
    if (patch) return executeLeaf(rc, patch.node, graph, frames, patch.kind ? { kind: patch.kind } : {});
    if (this.executor.unpatched === 'run') return super.runLeaf(rc, node, graph, frames);
    return executeLeaf(rc, node, graph, frames, { mock: true });
  }
}

/** Whether a patch key addresses a task: its name, its template name, or a resolution of it. */
function addresses(key: string, node: TaskNode): boolean {
  if (key === node.name || key === node.internalName) return true;
  const a = key.split('.');
  const b = node.internalName.split('.');
  return a.length === b.length && a.every((seg, i) => seg === b[i] || b[i] === MAP_PLACEHOLDER || b[i] === LOOP_PLACEHOLDER);
}

/** Resolved internal name 3, template internal name 2, step name 1 (a top-level step's name is all three). */
function specificity(key: string, node: TaskNode): number {
  if (key === node.internalName) return 2;
  return key === node.name ? 1 : 3;
}

function asStub(node: TaskNode): PipelineNode {
  const { name, internalName, next, onFailure, overrides } = node;
  return { type: 'stub', name, internalName, ...(next !== undefined ? { next } : {}), ...(onFailure !== undefined ? { onFailure } : {}), overrides };
}

/** A copy of `graph` with every task (at any depth) replaced by `fn(task)`. */
function mapTasks(graph: Graph, fn: (node: TaskNode) => PipelineNode): Graph {
  const nodes: Record<string, PipelineNode> = {};
  for (const [name, node] of Object.entries(graph.nodes)) {
    if (node.type === 'task') nodes[name] = fn(node);
    else if (!isComposite(node)) nodes[name] = node;
    else if (node.type === 'map' || node.type === 'loop') nodes[name] = { ...node, branch: mapTasks(node.branch, fn) };
    else {
      const branches = Object.fromEntries(Object.entries(node.branches).map(([k, g]) => [k, mapTasks(g, fn)]));
      nodes[name] = node.type === 'conditional' && node.default ? { ...node, branches, default: mapTasks(node.default, fn) } : { ...node, branches };
    }
  }
  return { ...graph, nodes };
}

/** A function patch as a task kind: bound by name, run in a task context, returns mapped. */
function functionKind(fn: (...args: never[]) => unknown, label: string): TaskKind {
  return {
    type: 'typescript',
    async run(input) {
      const { args, consumed } = await bindArguments(fn, input.params, label);
      let value: unknown;
      try {
        value = await runInTaskContext({ env: input.env, output: input.output }, () => (fn as (...a: unknown[]) => unknown)(...args));
      } catch (e) {
        input.output.stderr(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
        throw new TaskFailure(e instanceof Error ? `${e.name}: ${e.message}` : `thrown: ${String(e)}`, consumed);
      }
      return { returns: mapReturns(value, input.node.returns, label), consumed };
    },
    async cacheIdentity(_node, _cwd, visible) {
      return functionIdentity(fn, label, visible);
    },
    sourceChanged: 'function source changed',
  };
}

export const mocked: Plugin<PipelineExecutor, z.infer<typeof mockedConfig>> = {
  config: mockedConfig,
  create: (config, env) => new MockedExecutor({ patches: config.patches, configFile: env.configFile }),
};
