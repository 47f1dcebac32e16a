/**
 * A pipeline as an Argo Workflow (or CronWorkflow). The shape:
 *
 * - the entry DAG `runnable-dag`: `open-run` (creates the run, or continues it when the same
 *   `run_id` failed before), then the pipeline's top-level steps;
 * - one DAG template per graph (the pipeline, each branch); in it one task per step, whose
 *   `depends` is the step's incoming edges: `P.Succeeded` for a `next`, `(P.Failed || P.Errored)`
 *   for an `on_failure` (or the graph's fail step, where a failure goes by default). Steps not
 *   on the path taken are Omitted. DAGs never fail fast, so failure paths and sibling branches run;
 * - a task: a container template (templates.ts); stubs, success and fail steps share one, the
 *   step named by the task's `step` argument (a pipeline has a success and a fail step per branch);
 * - a composite: a DAG template `fan-out` (`fan ... in`) → its branches → `fan-in` (`fan ... out`).
 *   The fan-out pod writes which branches run as output parameters: a map's iterations
 *   (`withParam`, each item the `--map-variable` of one iteration, so map values are carried down
 *   through any nesting), a parallel's branches and a conditional's choice (`when`);
 * - a loop: a recursive template `<loop>-iteration`: the iteration's branch, then `fan-in`,
 *   which says whether there is a next iteration; if so the template runs itself for it.
 *
 * What a step needs at run time crosses between pods only through the run log, the catalog and
 * these parameters, as under every other remote executor.
 */
import { branchesOf, type CompositeNode, type Graph, type LoopNode, type PipelineNode } from '../../graph/model.js';
import type { Parameters } from '../../runlog/types.js';
import type { ArgoConfig } from './config.js';
import { NameScope, k8sName } from './names.js';
import { MAP_VARIABLE, MAP_VARIABLE_INPUT, PodTemplates, STEP, type Obj } from './templates.js';

export const ENTRYPOINT = 'runnable-dag';
const OPEN_RUN = 'open-run';
const ITEM = '{{item}}';

export interface CompileInput {
  config: ArgoConfig;
  /** the pipeline file, relative to the image's working directory */
  pipelineFile: string;
  parametersFile?: string;
  tag: string;
  /** initial parameters: the scalar ones become workflow arguments (expose_parameters_as_inputs) */
  parameters: Parameters;
  /** the pods' runnable config (./pod-config.ts) */
  podConfig: string;
  /** false: the run-log store takes one writer at a time, so a composite runs one pod at a time */
  concurrentWriters: boolean;
  volumes: Obj[];
  volumeMounts: Obj[];
}

export function compileWorkflow(graph: Graph, input: CompileInput): Obj {
  const { config } = input;
  const cron = config.cronSchedule;
  const runId = cron ? '{{workflow.name}}' : '{{workflow.parameters.run_id}}';
  const exposed = config.exposeParametersAsInputs ? exposedParameters(input.parameters) : [];
  const pods = new PodTemplates({ config, runId, pipelineFile: input.pipelineFile, podConfig: input.podConfig, volumeMounts: input.volumeMounts });
  const builder = new Builder(pods, input.concurrentWriters);

  const openRun = builder.names.take('runnable-open-run');
  builder.templates.push(pods.openRun(openRun, input.parametersFile, input.tag, exposed.map((p) => p.name)));
  const root: Obj = { name: ENTRYPOINT, failFast: false, dag: { tasks: [{ name: OPEN_RUN, template: openRun }, ...builder.graphTasks(graph, '{}', OPEN_RUN)] } };
  builder.templates.unshift(root);

  const parameters = [...(cron ? [] : [{ name: 'run_id' }]), ...exposed];
  const spec: Obj = {
    ...config.argoWorkflow.spec,
    entrypoint: ENTRYPOINT,
    ...(parameters.length ? { arguments: { parameters } } : {}),
    ...(input.volumes.length ? { volumes: input.volumes } : {}),
    templates: builder.templates,
  };
  const { generateName, name, ...meta } = config.argoWorkflow.metadata;
  const apiVersion = 'argoproj.io/v1alpha1';
  if (!cron) return { apiVersion, kind: 'Workflow', metadata: { ...(name ? { name } : { generateName: generateName ?? 'runnable-' }), ...meta }, spec };
  return {
    apiVersion,
    kind: 'CronWorkflow',
    metadata: { name: name ?? k8sName((generateName ?? 'runnable-cron').replace(/-+$/, '')), ...meta },
    spec: { schedules: cron.schedules, ...(cron.timezone ? { timezone: cron.timezone } : {}), workflowSpec: spec },
  };
}

/** Scalar initial parameters as workflow arguments; a value that would read back as another type is JSON. */
function exposedParameters(params: Parameters): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const [name, p] of Object.entries(params)) {
    const v = p.value;
    if (p.kind === 'object' || (v !== null && typeof v === 'object')) continue;
    // RUNNABLE_PRM_ values are parsed as JSON, kept as strings otherwise: "3" must stay a string
    out.push({ name, value: typeof v === 'string' && !readsAsJson(v) ? v : JSON.stringify(v) });
  }
  return out;
}

function readsAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

class Builder {
  readonly templates: Obj[] = [];
  readonly names = new NameScope();
  /** the one template of every stub, success and fail step */
  private controlTemplate: string | undefined;

  constructor(
    private readonly pods: PodTemplates,
    private readonly concurrentWriters: boolean,
  ) {
    this.names.take(ENTRYPOINT);
  }

  /** The tasks of one graph's DAG; `mapVariable` is what its steps get as `--map-variable`. */
  graphTasks(graph: Graph, mapVariable: string, after?: string): Obj[] {
    const taskNames = new NameScope();
    if (after) taskNames.take(after);
    const nodes = Object.values(graph.nodes);
    const taskOf = new Map(nodes.map((n) => [n.name, taskNames.take(n.name)]));
    const failNode = nodes.find((n) => n.type === 'fail')?.name;
    const incoming = new Map<string, string[]>();
    for (const p of nodes) {
      if (p.type === 'success' || p.type === 'fail') continue;
      const t = taskOf.get(p.name)!;
      if (p.next) push(incoming, p.next, `${t}.Succeeded`);
      const onFailure = p.onFailure ?? failNode;
      if (onFailure) push(incoming, onFailure, `(${t}.Failed || ${t}.Errored)`);
    }
    const tasks: Obj[] = [];
    for (const node of nodes) {
      const edges = incoming.get(node.name);
      const isStart = node.name === graph.startAt;
      if (!edges && !isStart) continue; // never reached (the default fail step when every step has on_failure)
      const depends = [...(isStart && after ? [`${after}.Succeeded`] : []), ...(edges ?? [])].join(' || ');
      const control = node.type === 'stub' || node.type === 'success' || node.type === 'fail';
      const args = mapArg(mapVariable);
      if (control) (args.parameters as Obj[]).push({ name: STEP, value: node.internalName });
      tasks.push({ name: taskOf.get(node.name), template: this.templateFor(node), ...(depends ? { depends } : {}), arguments: args });
    }
    return tasks;
  }

  private templateFor(node: PipelineNode): string {
    switch (node.type) {
      case 'task': {
        const name = this.names.take(node.internalName);
        this.templates.push(this.pods.step(name, node));
        return name;
      }
      case 'stub':
      case 'success':
      case 'fail':
        if (!this.controlTemplate) {
          this.controlTemplate = this.names.take('runnable-control-step');
          this.templates.push(this.pods.controlStep(this.controlTemplate));
        }
        return this.controlTemplate;
      case 'loop':
        return this.loop(node);
      default:
        return this.composite(node);
    }
  }

  /** parallel, map, conditional: fan-out → branches → fan-in. */
  private composite(node: Exclude<CompositeNode, LoopNode>): string {
    const name = this.names.take(node.internalName);
    const branches = Object.entries(branchesOf(node));
    const outputs = node.type === 'map' ? ['branch-0'] : branches.map((_, i) => `run-${i}`);
    const fanOut = this.fanTemplate(node, 'in', outputs);
    const fanIn = this.fanTemplate(node, 'out', []);
    const local = new NameScope();
    local.take('fan-out');
    local.take('fan-in');
    const tasks: Obj[] = [{ name: 'fan-out', template: fanOut, arguments: mapArg(MAP_VARIABLE_INPUT) }];
    for (const [i, [key, graph]] of branches.entries()) {
      const task = local.take(`branch-${key}`);
      const template = this.branchTemplate(graph, node.type === 'map');
      tasks.push(
        node.type === 'map'
          ? { name: task, template, depends: 'fan-out.Succeeded', withParam: `{{tasks.fan-out.outputs.parameters.branch-0}}`, arguments: mapArg(ITEM) }
          : { name: task, template, depends: 'fan-out.Succeeded', when: `{{tasks.fan-out.outputs.parameters.run-${i}}} == true`, arguments: mapArg(MAP_VARIABLE_INPUT) },
      );
    }
    // every branch ended (a conditional's others, or a map with no items, are Skipped): close the step
    const ended = tasks.slice(1).map((t) => `(${t.name}.Succeeded || ${t.name}.Failed || ${t.name}.Errored || ${t.name}.Skipped)`);
    tasks.push({ name: 'fan-in', template: fanIn, depends: ['fan-out.Succeeded', ...ended].join(' && '), arguments: mapArg(MAP_VARIABLE_INPUT) });
    this.templates.push(this.dag(name, tasks, node));
    return name;
  }

  /**
   * A loop: `fan-out` opens iteration 0 (on a continued run, the last one); `<loop>-iteration`
   * runs it, closes it with `fan-in` and, when that opens a next iteration, runs itself for it.
   */
  private loop(node: LoopNode): string {
    const name = this.names.take(node.internalName);
    const iteration = this.names.take(`${node.internalName}.iteration`);
    const fanOut = this.fanTemplate(node, 'in', ['branch-0']);
    const fanIn = this.fanTemplate(node, 'out', ['branch-0']);
    const body = this.branchTemplate(node.branch, true);
    const iterArgs = (item: string) => ({ parameters: [{ name: MAP_VARIABLE, value: MAP_VARIABLE_INPUT }, { name: 'iteration', value: item }] });
    this.templates.push(
      this.dag(name, [
        { name: 'fan-out', template: fanOut, arguments: mapArg(MAP_VARIABLE_INPUT) },
        { name: 'iteration', template: iteration, depends: 'fan-out.Succeeded', withParam: '{{tasks.fan-out.outputs.parameters.branch-0}}', arguments: iterArgs(ITEM) },
      ], node),
    );
    const iter = this.dag(iteration, [
      { name: 'body', template: body, arguments: mapArg('{{inputs.parameters.iteration}}') },
      { name: 'fan-in', template: fanIn, depends: '(body.Succeeded || body.Failed || body.Errored)', arguments: mapArg(MAP_VARIABLE_INPUT) },
      { name: 'next', template: iteration, depends: 'fan-in.Succeeded', withParam: '{{tasks.fan-in.outputs.parameters.branch-0}}', arguments: iterArgs(ITEM) },
    ]);
    (iter.inputs as { parameters: Obj[] }).parameters.push({ name: 'iteration' });
    this.templates.push(iter);
    return name;
  }

  private fanTemplate(node: CompositeNode, direction: 'in' | 'out', outputs: string[]): string {
    const name = this.names.take(`${node.internalName}.fan-${direction === 'in' ? 'out' : 'in'}`);
    this.templates.push(this.pods.fan(name, node, direction, outputs));
    return name;
  }

  private branchTemplate(graph: Graph, iterated: boolean): string {
    const name = this.names.take(iterated ? `${graph.internalName}.branch` : graph.internalName);
    this.templates.push(this.dag(name, this.graphTasks(graph, MAP_VARIABLE_INPUT)));
    return name;
  }

  private dag(name: string, tasks: Obj[], composite?: CompositeNode): Obj {
    // a store with one writer at a time: a composite's branches run one after the other
    const parallelism = !this.concurrentWriters ? 1 : composite && this.pods.settingsFor(composite).parallelism;
    return { name, inputs: { parameters: [{ name: MAP_VARIABLE }] }, failFast: false, ...(composite && parallelism ? { parallelism } : {}), dag: { tasks } };
  }
}

function mapArg(value: string): Obj {
  return { parameters: [{ name: MAP_VARIABLE, value }] };
}

function push(m: Map<string, string[]>, k: string, v: string): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
