/**
 * The checks of a pipeline made before a run exists, every problem collected rather than the
 * first thrown: `runnable validate` prints them all, `execute` refuses the run with all of them.
 * - always: each task's command type exists and its command resolves (`TaskKind.check`: the
 *   module file, a Python, the notebook and its kernel), each map reducer, and (given a secrets
 *   store) each secret a step declares;
 * - `deep` (`validate`, `execute`): each task's code as its kind would find it (`TaskKind.inspect`:
 *   a TS function loaded and its signature read, a Python module found and its function read from
 *   the source, none of it run), and, given the run's parameters, that every parameter a step
 *   takes by name (a TS or Python function's without a default, a map's `iterate_on`, a
 *   conditional's `parameter`) is set before it on every path (graph/param-flow.ts). Where only
 *   some paths set it, or the answer depends on where steps run, it is a warning.
 */
import { RunnableError } from '../errors.js';
import type { CommandType, Pipeline, PipelineNode, TaskNode } from '../graph/model.js';
import { availableBefore, returnedBy, type Available } from '../graph/param-flow.js';
import { walkNodes } from '../graph/walk.js';
import type { Parameters } from '../runlog/types.js';
import { hideSecrets } from '../secrets/index.js';
import type { SecretsStore } from '../secrets/types.js';
import { checkCommand, pythonForTasks, taskKindFor } from '../tasks/index.js';
import type { Inspection } from '../tasks/types.js';

export interface Found {
  /** what will fail: exit 2 */
  errors: RunnableError[];
  /** what could not be made sure of */
  warnings: RunnableError[];
}

export interface CheckOptions {
  /** check every declared secret is there (not by `validate` alone: it checks the pipeline, not the environment it runs in) */
  secrets?: SecretsStore;
  deep?: {
    /** the run's initial parameters; absent (a parameters file that did not load): parameters are not followed */
    parameters?: Parameters;
    /**
     * the executor runs steps in this process (local, mocked): a module whose import throws here
     * throws in the run too; elsewhere (a container, a Slurm job) it may not, and is a warning
     */
    inProcess: boolean;
    /** the executor's type, for that warning */
    executor?: string;
  };
}

export async function pipelineProblems(pipeline: Pipeline, cwd: string, opts: CheckOptions = {}): Promise<Found> {
  const file = pipeline.source.path;
  const found: Found = { errors: [], warnings: [] };
  // at the step, in the pipeline's file, unless the problem names its own; `field` overrides
  // on one line, as a RunnableError is shown: a multi-line message (esbuild's) is joined
  const located = (err: RunnableError, node: PipelineNode, field?: string) =>
    new RunnableError(err.code, oneLine(err.message), { ...err.where, file: err.where.file ?? file, step: err.where.step ?? node.internalName, field: field ?? err.where.field });
  const collect = async (node: PipelineNode, check: () => Promise<unknown>, field?: string): Promise<boolean> => {
    try {
      await check();
      return true;
    } catch (err) {
      if (!(err instanceof RunnableError)) throw err;
      found.errors.push(located(err, node, field));
      return false;
    }
  };

  const nodes = [...walkNodes(pipeline.graph)];
  // the pipeline is about to run: its secrets reach only the steps that declare them (secrets/scope.ts)
  if (opts.secrets) hideSecrets(nodes.flatMap((n) => (n.type === 'task' ? n.secrets : [])));
  const passed = new Map<CommandType, TaskNode[]>();
  const missingSecrets = new Map<string, { at: number; others: string[] }>();
  for (const node of nodes) {
    if (node.type === 'map' && node.reducer) {
      // a TS/JS reducer module must exist; a Python reducer (lambda, dotted name) needs a Python
      const reducer = node.reducer;
      await collect(node, () => (MODULE_REDUCER.test(reducer) ? checkCommand(reducer, cwd) : pythonForTasks()), 'reducer');
    }
    if (node.type !== 'task') continue;
    const ok = await collect(node, async () => taskKindFor(node.commandType).check?.(node, cwd));
    if (ok) passed.set(node.commandType, [...(passed.get(node.commandType) ?? []), node]);
    for (const name of opts.secrets ? node.secrets : []) {
      const missing = missingSecrets.get(name);
      if (missing) missing.others.push(node.internalName);
      else if (!(await collect(node, () => opts.secrets!.get(name)))) missingSecrets.set(name, { at: found.errors.length - 1, others: [] });
    }
  }
  // one missing secret is one problem, however many steps declare it: said at the first, naming the others
  for (const { at, others } of missingSecrets.values()) {
    const e = found.errors[at]!;
    if (others.length) found.errors[at] = new RunnableError(e.code, `${e.message} (also declared by ${others.map((s) => `'${s}'`).join(', ')})`, e.where);
  }
  if (!opts.deep) return found;

  // each kind inspects all its tasks at once, the kinds side by side (Python's process runs while TS modules load)
  const inspections = new Map<TaskNode, Inspection>();
  await Promise.all(
    [...passed].map(async ([type, tasks]) => {
      const answers = (await taskKindFor(type).inspect?.(tasks, cwd)) ?? [];
      answers.forEach((a, i) => inspections.set(tasks[i]!, a));
    }),
  );
  const { inProcess, executor } = opts.deep;
  for (const node of nodes) {
    const a = node.type === 'task' ? inspections.get(node) : undefined;
    if (a?.warning) found.warnings.push(located(a.warning, node));
    if (!a?.problem) continue;
    if (inProcess || !a.environmental) found.errors.push(located(a.problem, node));
    else found.warnings.push(located(new RunnableError(a.problem.code, `${a.problem.message}; the '${executor}' executor runs steps in processes of their own, where it may load`, a.problem.where), node));
  }

  const parameters = opts.deep.parameters;
  if (parameters) checkParameters(pipeline, parameters, inspections, found, located);
  // in the order of the steps, whichever check found them
  const order = new Map(nodes.map((n, i) => [n.internalName, i]));
  const rank = (e: RunnableError) => order.get(e.where.step ?? '') ?? nodes.length;
  for (const list of [found.errors, found.warnings]) list.sort((a, b) => rank(a) - rank(b));
  return found;
}

/** Each parameter a step takes by name, against what is set before it (graph/param-flow.ts). */
function checkParameters(pipeline: Pipeline, parameters: Parameters, inspections: ReadonlyMap<TaskNode, Inspection>, found: Found, located: (err: RunnableError, node: PipelineNode, field?: string) => RunnableError): void {
  const available = availableBefore(pipeline.graph, Object.keys(parameters));
  for (const node of walkNodes(pipeline.graph)) {
    const before = available.get(node.internalName);
    if (!before) continue;
    for (const need of needs(node, inspections)) {
      const problem = parameterProblem(pipeline, node, need, before);
      if (problem) found[problem.error ? 'errors' : 'warnings'].push(located(new RunnableError('E_PARAMS', problem.message), node, need.field));
    }
  }
}

interface Need {
  name: string;
  /** what needs it: "function 'train' takes parameter 'lr'" */
  subject: string;
  field: string;
}

function needs(node: PipelineNode, inspections: ReadonlyMap<TaskNode, Inspection>): Need[] {
  if (node.type === 'map') return [{ name: node.iterateOn, subject: `the map iterates on parameter '${node.iterateOn}'`, field: 'iterate_on' }];
  if (node.type === 'conditional') return [{ name: node.parameter, subject: `the branch is chosen by parameter '${node.parameter}'`, field: 'parameter' }];
  if (node.type !== 'task') return [];
  const a = inspections.get(node);
  return (a?.requires ?? []).map((name) => ({ name, subject: `${a?.label ?? 'the function'} takes parameter '${name}'`, field: 'command' }));
}

function parameterProblem(pipeline: Pipeline, node: PipelineNode, need: Need, before: Available): { error: boolean; message: string } | undefined {
  const { name, subject } = need;
  if (before.sure.has(name)) return undefined;
  const setters = returnedBy(pipeline.graph, name).filter((s) => s !== node.internalName);
  const by = setters.map((s) => `'${s}'`).join(', ');
  if (before.maybe.has(name)) {
    return {
      error: false,
      message: `${subject}, which only some paths to this step set (returned by ${by}): where it is reached another way (another conditional branch, an on_failure) it is not set`,
    };
  }
  const hint = setters.length ? `; ${by} return${setters.length > 1 ? '' : 's'} it, but not before this step` : '';
  return {
    error: true,
    message: `${subject}, which nothing sets before this step (the parameters file, RUNNABLE_PRM_${name}, an earlier step's returns)${hint}`,
  };
}

const oneLine = (text: string) => text.split('\n').map((l) => l.trim()).filter(Boolean).join(' ');

const MODULE_REDUCER = /\.(m?ts|m?js)(:|$)/;
