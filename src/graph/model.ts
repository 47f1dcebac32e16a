/**
 * The pipeline model: the one core that YAML loading and the TS SDK both produce and that
 * every executor consumes. Nothing here knows where a pipeline came from.
 *
 * Internal names are dot paths. A step at the top level is `train`; a step inside a branch
 * is `<composite>.<branch>.<step>`. Branches of a map or loop are named by the iteration, so
 * their template names hold a placeholder (see ./names.ts) resolved at run time.
 */

export type NodeType = 'task' | 'stub' | 'success' | 'fail' | 'parallel' | 'map' | 'conditional' | 'loop';
export type CommandType = 'typescript' | 'shell' | 'notebook' | 'python';
export type ParameterKind = 'json' | 'object' | 'metric';

export interface ReturnSpec {
  name: string;
  kind: ParameterKind;
}

export interface CatalogSpec {
  get: string[];
  put: string[];
  /** false: `put` records hashes without copying */
  storeCopy: boolean;
}

interface NodeBase {
  /** the step's name inside its graph */
  name: string;
  /** dot path with placeholders for map/loop iterations */
  internalName: string;
  /** step to go to on success; absent only for success/fail */
  next?: string;
  /** step to go to on failure; default: the graph's fail node */
  onFailure?: string;
  /** per-executor settings, keyed by executor type; value names an entry of that executor's `overrides` */
  overrides: Record<string, string>;
}

export interface TaskNode extends NodeBase {
  type: 'task';
  commandType: CommandType;
  command: string;
  returns: ReturnSpec[];
  catalog?: CatalogSpec;
  maxAttempts: number;
  /** wait before the second attempt; each later wait is multiplied by `retryBackoffFactor` */
  retryDelaySeconds?: number;
  retryBackoffFactor?: number;
  secrets: string[];
  /**
   * step caching (src/nodes/_cache.ts): true caches the step, false never; absent follows the
   * config (`step-cache: {type: all}` caches every task)
   */
  cache?: boolean;
  /** extra, command-type specific options (e.g. notebook `optional_ploomber_args`) kept verbatim */
  options: Record<string, unknown>;
}

export interface StubNode extends NodeBase {
  type: 'stub';
}
export interface SuccessNode extends NodeBase {
  type: 'success';
}
export interface FailNode extends NodeBase {
  type: 'fail';
}

export interface ParallelNode extends NodeBase {
  type: 'parallel';
  branches: Record<string, Graph>;
}

export interface MapNode extends NodeBase {
  type: 'map';
  branch: Graph;
  iterateOn: string;
  iterateAs: string;
  /** `PATH:EXPORT` of a reducer function, or a Python lambda/dotted name; default: the array of values */
  reducer?: string;
}

export interface ConditionalNode extends NodeBase {
  type: 'conditional';
  parameter: string;
  branches: Record<string, Graph>;
  default?: Graph;
}

export interface LoopNode extends NodeBase {
  type: 'loop';
  branch: Graph;
  maxIterations: number;
  breakOn: string;
  indexAs: string;
}

export type CompositeNode = ParallelNode | MapNode | ConditionalNode | LoopNode;
export type PipelineNode = TaskNode | StubNode | SuccessNode | FailNode | CompositeNode;

export interface Graph {
  /** dot path of this graph: '' for the pipeline, `<composite>.<branch>` for a branch */
  internalName: string;
  description?: string;
  startAt: string;
  /** includes the implicit `success` and `fail` nodes */
  nodes: Record<string, PipelineNode>;
}

/** A whole pipeline, as loaded from YAML or built by the SDK. */
export interface Pipeline {
  graph: Graph;
  /** where it came from, for messages and for re-loading in another process */
  source: { kind: 'yaml' | 'module'; path: string };
}

/** A single-task job. */
export interface Job {
  task: TaskNode;
  source: { kind: 'yaml' | 'module'; path: string };
}

export const isComposite = (n: PipelineNode): n is CompositeNode =>
  n.type === 'parallel' || n.type === 'map' || n.type === 'conditional' || n.type === 'loop';

export const isTerminal = (n: PipelineNode): n is SuccessNode | FailNode => n.type === 'success' || n.type === 'fail';

/** The graphs directly under a composite node, keyed by branch name. */
export function branchesOf(node: CompositeNode): Record<string, Graph> {
  switch (node.type) {
    case 'parallel':
      return node.branches;
    case 'conditional':
      return node.default ? { ...node.branches, default: node.default } : node.branches;
    case 'map':
    case 'loop':
      return { [node.type]: node.branch };
  }
}
