/**
 * The step-at-a-time protocol (SPEC §1): any step of an existing run executes in a fresh process
 * from the run id, the pipeline file (YAML or module), the step's template internal name and the
 * iteration values of its enclosing maps and loops.
 *
 * - `executeSingleNode`: one leaf step (task, stub, success, fail), exactly as `local` runs it.
 * - `fan` `in`: opens a composite (records it and its branches); returns the branches to run.
 *   `out`: closes it from its branches' outcome in the run log, or (a loop) opens the next
 *   iteration and returns it.
 *
 * Everything a step needs is in the run log, so the caller (the `emulate` executor, a container,
 * a Slurm job, an Argo pod) carries nothing but these arguments. Other processes write the run
 * log at the same time (sibling branches), so nothing is cached (`exclusive` false).
 */
import { runContext } from './run-context.js';
import { branchesOf, isComposite, type CompositeNode, type Graph, type PipelineNode } from '../graph/model.js';
import { dagHash } from '../graph/hash.js';
import { LOOP_PLACEHOLDER, MAP_PLACEHOLDER, findNode, iterVarsFromJSON, resolveName, type IterVars } from '../graph/names.js';
import type { RunContext, RunObserver } from '../engine/context.js';
import { RunnableError } from '../errors.js';
import { StepFailure, branchChain, closeComposite, compositeOf, executeLeaf, skipSucceeded } from '../nodes/index.js';
import { RunLogAccess } from '../runlog/access.js';
import type { Lease, Status } from '../runlog/types.js';
import { takeStepLease } from './lease.js';
import { validateRunId } from '../util/run-id.js';
import { toBranchSpec, type BranchSpec } from '../engine/branches.js';
import { loadPipelineSource } from './load.js';
import { loadServices } from './prepare.js';
import { traceRun } from './trace.js';
import { stepRole, type RunTelemetry } from '../telemetry/index.js';
import { bothObservers } from '../engine/context.js';
import { adoptHandedCodeIdentity } from '../util/git.js';

export interface SingleNodeInputs {
  runId: string;
  /** the pipeline file the run was started from (YAML or module), relative to `cwd` */
  pipeline: string;
  /**
   * template internal name of the step: `train`, `map_state.map_variable_placeholder.inner`
   * (a `%` stands for a space, as in runnable's command names)
   */
  step: string;
  /** `--map-variable`: `{"chunk": 3, "i": 0}`, the values of the enclosing maps/loops, outermost first */
  mapVariable?: string;
  configFile?: string;
  /** accepted as runnable does; a step's parameters come from the run log */
  parametersFile?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  observer?: RunObserver;
  signal?: AbortSignal;
  /**
   * `--one-attempt`: a task makes one attempt (numbered on from the run log) however many
   * `max_attempts` allows: the engine runs the process again for the next (Argo's retryStrategy)
   */
  oneAttempt?: boolean;
}

export interface SingleNodeResult {
  runId: string;
  /** resolved internal name of the step */
  internalName: string;
  status: Status;
}

export interface FanInputs extends SingleNodeInputs {
  direction: 'in' | 'out';
}

export interface FanResult extends SingleNodeResult {
  /**
   * `in`: PROCESSING with the branches opened (FAIL if the composite could not open: bad map
   * input, no conditional branch); `out`: the composite's final status, or PROCESSING with
   * `next` when a loop asks for another iteration
   */
  status: Status;
  /** `in`: the branches to run now (on retry, only those that did not succeed before) */
  branches?: BranchSpec[];
  /** `out`: a loop's next iteration, to run before calling `fan ... out` again */
  next?: BranchSpec[];
  /** template internal names of the composite's branch graphs, in declaration order (a conditional's default last) */
  templates: string[];
}

/** Runs one leaf step of an existing run in this process; its status is also in the run log. */
export async function executeSingleNode(inputs: SingleNodeInputs): Promise<SingleNodeResult> {
  const { rc, node, graph, frames, internalName, lease, telemetry } = await openStep(inputs, (n) => {
    if (isComposite(n)) throw usage(`'${n.internalName}' is a ${n.type} step: composite steps are opened and closed with \`runnable fan\``, n);
  });
  try {
    if (isComposite(node)) throw new Error('unreachable: checked by openStep');
    // on retry (a resubmitted Argo workflow runs every pod again) a succeeded step is skipped
    const status = (await skipSucceeded(rc, node, graph, frames)) ? 'SUCCESS' : await executeLeaf(rc, node, graph, frames, inputs.oneAttempt ? { attempts: 1 } : undefined);
    await rc.log.flush();
    await telemetry?.end(status);
    return { runId: rc.runId, internalName, status };
  } finally {
    await lease?.release();
  }
}

/** Opens (`in`, SPEC §1) or closes (`out`) a composite step of an existing run in this process. */
export async function fan(inputs: FanInputs): Promise<FanResult> {
  const { lease, ...opened } = await openStep(
    inputs,
    (n) => {
      if (!isComposite(n)) throw usage(`'${n.internalName}' is a ${n.type} step, not a composite: run it with \`runnable execute-single-node\``, n);
    },
    inputs.direction,
  );
  try {
    const result = await fanHeld(inputs, opened);
    await opened.telemetry?.end(result.status);
    return result;
  } finally {
    await lease?.release();
  }
}

async function fanHeld(inputs: FanInputs, { rc, node, graph, frames, internalName }: Omit<OpenedStep, 'lease'>): Promise<FanResult> {
  if (!isComposite(node)) throw new Error('unreachable: checked by openStep');
  const composite = compositeOf(node);
  const templates = Object.values(branchesOf(node)).map((g) => g.internalName);
  let result: FanResult;
  try {
    if (await skipSucceeded(rc, node, graph, frames)) {
      // on retry a composite that succeeded opens nothing and closes as it was
      result = { runId: rc.runId, internalName, status: 'SUCCESS', templates, ...(inputs.direction === 'in' ? { branches: [] } : {}) };
    } else if (inputs.direction === 'in') {
      const runs = await composite.fanOut(rc, node, graph, frames);
      result = { runId: rc.runId, internalName, status: 'PROCESSING', templates, branches: runs.map(toBranchSpec) };
    } else {
      if (!(await rc.log.step(internalName))) throw usage(`'${internalName}' was not opened in run '${rc.runId}': run \`runnable fan ... in\` first`, node);
      const fanned = await composite.fanIn(rc, node, graph, frames);
      result = { runId: rc.runId, internalName, status: fanned.status, templates, ...(fanned.next ? { next: fanned.next.map(toBranchSpec) } : {}) };
    }
  } catch (err) {
    // as the traversal does: an expected failure of the composite closes it FAIL
    if (!(err instanceof StepFailure)) throw err;
    await closeComposite(rc, node, graph, frames, 'FAIL', err.message);
    result = { runId: rc.runId, internalName, status: 'FAIL', templates, ...(inputs.direction === 'in' ? { branches: [] } : {}) };
  }
  await rc.log.flush();
  return result;
}

interface OpenedStep {
  telemetry?: RunTelemetry;
  rc: RunContext;
  node: PipelineNode;
  graph: Graph;
  frames: IterVars;
  internalName: string;
  /** the step's lease (./lease.ts): no other process runs this step meanwhile */
  lease: Lease | undefined;
}

/**
 * Everything that makes the call impossible is an exit-2 RunnableError found here, before
 * anything is written: unknown run id, a finished run, a changed pipeline, an unknown step,
 * bad `--map-variable`, a branch that was never opened.
 */
async function openStep(inputs: SingleNodeInputs, checkKind: (node: PipelineNode) => void, fan?: FanInputs['direction']): Promise<OpenedStep> {
  const env = inputs.env ?? process.env;
  const services = await loadServices({ configFile: inputs.configFile ?? env.RUNNABLE_CONFIGURATION_FILE, cwd: inputs.cwd, env });
  const { store, cwd } = services;
  const { runId } = inputs;
  validateRunId(runId);
  if (!(await store.exists(runId))) {
    const hint = store.sharedAcrossProcesses ? '' : ` (the ${store.type} store keeps runs in one process's memory: use a store shared between processes, e.g. chunked-fs)`;
    throw new RunnableError('E_RUN_ID', `unknown run id '${runId}' in ${store.location(runId)}${hint}`);
  }
  const log = new RunLogAccess(store, runId, false);
  const header = await log.header();
  if (!header) throw new RunnableError('E_RUN_ID', `run '${runId}' has no run header in ${store.location(runId)}`);
  if (header.status !== 'PROCESSING') {
    throw new RunnableError('E_RUN_ID', `run '${runId}' has finished (${header.status}); \`runnable retry ${runId}\` continues a failed run`);
  }
  const pipeline = await loadPipelineSource(inputs.pipeline, cwd);
  if (dagHash(pipeline.graph) !== header.dag_hash) {
    throw new RunnableError('E_GRAPH', `the pipeline is not the one run '${runId}' was started with (its dag_hash differs)`, { file: pipeline.source.path });
  }
  const { node, graph } = findStep(pipeline.graph, inputs.step);
  checkKind(node);
  const frames = parseMapVariable(pipeline.graph, node, inputs.mapVariable);
  for (const branch of branchChain(graph, frames)) {
    if (!(await log.branch(branch))) {
      throw usage(`branch '${branch}' is not open in run '${runId}' (check --map-variable; a composite's branches open with \`runnable fan ... in\`)`, node);
    }
  }
  // a step started by a traced driver (TRACEPARENT) traces its attempts there (its composites
  // are the driver's); a pod with no driver (Argo) traces what it alone knows, composites too
  const role = stepRole(env);
  const telemetry = role === 'pod' || !fan ? await traceRun(services, pipeline, log, role, env, role === 'pod' ? { node, graph, frames, fan } : undefined) : undefined;
  // started by emulate's driver: the run's code identity comes from there (only a step process takes it)
  adoptHandedCodeIdentity();
  const rc = runContext(services, {
    pipeline,
    log,
    observer: bothObservers(inputs.observer, telemetry?.observer),
    signal: inputs.signal,
    // `runnable retry` counts its retries in the header: then succeeded branches are not reopened
    retrying: Number(header.run_config.retries ?? 0) > 0,
  });
  const internalName = resolveName(node.internalName, frames);
  // last, so that nothing above can leave it held: a second process on this step exits 2 here
  const lease = await takeStepLease(store, runId, internalName);
  return { rc, node, graph, frames, internalName, lease, telemetry };
}

function findStep(root: Graph, step: string): { node: PipelineNode; graph: Graph } {
  try {
    return findNode(root, step);
  } catch (err) {
    if (step.includes('%')) {
      try {
        return findNode(root, step.replaceAll('%', ' '));
      } catch {
        // report the name as given
      }
    }
    if (!(err instanceof RunnableError) || !step.includes('.')) throw err;
    const hint = `; steps in a map or loop are named with its placeholder (${MAP_PLACEHOLDER}, ${LOOP_PLACEHOLDER}), their iteration given by --map-variable`;
    throw new RunnableError(err.code, err.message + hint, err.where);
  }
}

/**
 * `--map-variable` must name, in order, the `iterate_as`/`index_as` of every map and loop that
 * encloses the step (what `fan ... in --json` prints as `map_variable`); a step outside any takes
 * none (or `{}`).
 */
function parseMapVariable(root: Graph, node: PipelineNode, json: string | undefined): IterVars {
  let parsed: unknown = {};
  if (json !== undefined && json.trim() !== '') {
    try {
      parsed = JSON.parse(json);
    } catch {
      throw usage(`--map-variable is not valid JSON: ${json}`, node);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw usage(`--map-variable must be a JSON object, got ${json}`, node);
  }
  const frames = iterVarsFromJSON(root, node.internalName, JSON.stringify(parsed));
  const given = Object.keys(parsed as object);
  const expected = frames.map((f) => f.name);
  if (given.length !== expected.length || given.some((k, i) => k !== expected[i])) {
    const shape = expected.length ? `{${expected.map((n) => `"${n}": ...`).join(', ')}}` : 'nothing (the step is in no map or loop)';
    throw usage(`--map-variable for '${node.internalName}' must be ${shape}; got ${json ?? 'none'}`, node);
  }
  return frames;
}

function usage(message: string, node: PipelineNode | CompositeNode): RunnableError {
  return new RunnableError('E_USAGE', message, { step: node.internalName });
}
