/**
 * Branches as the step-at-a-time protocol names them. `runnable fan ... in --json` prints the
 * branches a composite opened as `BranchSpec`s, and `fan ... out --json` the next ones a loop
 * asks for; an engine runs each branch's steps with `execute-single-node` / `fan`, passing
 * `map_variable` as `--map-variable`.
 *
 * The same list is derivable from the run log alone (`pendingBranches`), for engines that do
 * not read the output of the process that fanned out (a Slurm job writes it to a file): `fan in`
 * records every branch it opens as PROCESSING; the ones to run are those.
 */
import type { CompositeNode, Graph } from '../graph/model.js';
import { childInternalName, findGraph, iterVarsFromJSON, resolveName, type IterFrame, type IterVars } from '../graph/names.js';
import type { RunContext } from './context.js';
import { StepFailure, visibleParams, type BranchRun } from '../nodes/index.js';
import { chooseBranch } from '../nodes/conditional.js';
import { iterationItems } from '../nodes/map.js';
import { RunnableError } from '../errors.js';

/** One branch to run, as printed by `fan --json` (snake_case like the run log). */
export interface BranchSpec {
  /** resolved internal name of the branch, the key of its branch log: `map_state.2` */
  internal_name: string;
  /** template internal name of the branch's graph: `map_state.map_variable_placeholder` */
  branch: string;
  /** template internal name of the branch's first step: the STEP for `execute-single-node` or `fan` */
  start_at: string;
  /** iteration values of every enclosing map/loop, outermost first: the `--map-variable` of the branch's steps */
  map_variable: Record<string, string | number>;
}

export function toBranchSpec(run: BranchRun): BranchSpec {
  return {
    internal_name: run.internalName,
    branch: run.graph.internalName,
    start_at: childInternalName(run.graph, run.graph.startAt),
    map_variable: Object.fromEntries(run.frames.map((f) => [f.name, f.value])),
  };
}

/** The branch a spec names, in `root` (the pipeline's graph); throws if the spec does not fit the pipeline. */
export function fromBranchSpec(root: Graph, spec: BranchSpec): BranchRun {
  const graph = findGraph(root, spec.branch);
  const frames = iterVarsFromJSON(root, spec.branch, JSON.stringify(spec.map_variable ?? {}));
  const internalName = resolveName(spec.branch, frames);
  if (internalName !== spec.internal_name) {
    throw new RunnableError('E_USAGE', `branch spec ${JSON.stringify(spec)} is inconsistent: its map_variable gives '${internalName}'`);
  }
  return { graph, internalName, frames };
}

/**
 * The branches of a composite that are open and not finished (PROCESSING in the run log): right
 * after `fan ... in`, the branches it opened (on retry, those that did not succeed before); right
 * after a loop's `fan ... out` that asked for another iteration, that iteration.
 */
export async function pendingBranches(rc: RunContext, node: CompositeNode, graph: Graph, frames: IterVars): Promise<BranchRun[]> {
  const name = resolveName(node.internalName, frames);
  let candidates: BranchRun[];
  try {
    candidates = await candidateBranches(rc, node, graph, frames, name);
  } catch (err) {
    if (err instanceof StepFailure) return []; // the composite could not open: it failed, no branch runs
    throw err;
  }
  const pending: BranchRun[] = [];
  for (const run of candidates) if ((await rc.log.branch(run.internalName))?.status === 'PROCESSING') pending.push(run);
  return pending;
}

/** Every branch the composite may have opened, from its definition and the run log. */
async function candidateBranches(rc: RunContext, node: CompositeNode, graph: Graph, frames: IterVars, name: string): Promise<BranchRun[]> {
  switch (node.type) {
    case 'parallel':
      return Object.entries(node.branches).map(([key, g]) => ({ graph: g, internalName: `${name}.${key}`, frames }));
    case 'conditional': {
      const { key, branch } = chooseBranch(node, await visibleParams(rc, graph, frames));
      return [{ graph: branch, internalName: `${name}.${key}`, frames }];
    }
    case 'map': {
      const items = iterationItems(node, await visibleParams(rc, graph, frames));
      return items.map((item) => iteration(node.branch, name, frames, { kind: 'map', name: node.iterateAs, value: item }));
    }
    case 'loop': {
      let last = 0;
      while (await rc.log.branch(`${name}.${last + 1}`)) last++;
      return [iteration(node.branch, name, frames, { kind: 'loop', name: node.indexAs, value: last })];
    }
  }
}

function iteration(branch: Graph, name: string, frames: IterVars, frame: IterFrame): BranchRun {
  return { graph: branch, internalName: `${name}.${frame.value}`, frames: [...frames, frame] };
}

/**
 * What `fan --outputs DIR` writes, for engines that read a step's results from files (Argo's
 * output parameters, `valueFrom.path`): for the i-th branch graph of the composite (`templates`,
 * declaration order), `branch-<i>.json`, a JSON array of the `--map-variable` (JSON text) of each
 * of its branches to run now (a map's iterations, a loop's next iteration; [] for none), and
 * `run-<i>`, `true` or `false` whether it has any (a parallel's branches, a conditional's choice).
 *
 * An engine may take a user's value for one of its own expressions: Argo substitutes `{{...}}`
 * in stages, and a map item `{{item}}` put into a template by one stage is expanded by the
 * next. So `{{` never appears in these files: it is written `\u007b\u007b`, the same characters
 * to a JSON parser (`{{` occurs in JSON text only inside strings: an object's first token is a
 * key, never another object).
 */
export function branchOutputFiles(templates: string[], specs: BranchSpec[]): Record<string, string> {
  const files: Record<string, string> = {};
  templates.forEach((template, i) => {
    const mine = specs.filter((s) => s.branch === template).map((s) => JSON.stringify(s.map_variable).replaceAll('{{', '\\u007b\\u007b'));
    files[`branch-${i}.json`] = JSON.stringify(mine);
    files[`run-${i}`] = String(mine.length > 0);
  });
  return files;
}
