/**
 * The container templates of an Argo workflow: one per task, stub, success and fail step (running
 * `runnable execute-single-node`), two per composite (`runnable fan ... in` and `... out`) and the
 * workflow's first pod (`runnable open-run`). Each gets the pod settings of the config's
 * `defaults` with the step's override (`overrides: {argo: NAME}`) over them, the volumes, and the
 * pods' runnable config as a raw input artifact (./pod-config.ts). Step and fan pods also get
 * `RUNNABLE_TRACE_CONTEXT=run-id`: with no driver to hand them a TRACEPARENT, a pod whose
 * telemetry is on derives the run's trace from the run id (src/telemetry/); it costs nothing
 * when telemetry is off, and it is there whichever way the endpoint reaches the pods.
 */
import type { PipelineNode, TaskNode } from '../../graph/model.js';
import { RunnableError } from '../../errors.js';
import { TRACE_CONTEXT_ENV, TRACE_FROM_RUN_ID } from '../../telemetry/index.js';
import type { ArgoConfig, EnvEntry, PodSettings } from './config.js';

/** Where things are inside a pod. */
export const POD_DIR = '/tmp/runnable-pod';
export const POD_CONFIG = `${POD_DIR}/config.yaml`;
export const POD_OUTPUTS = `${POD_DIR}/outputs`;
/** where `pvc_for_runnable` is mounted: the file-system run-log stores and catalog live under it */
export const PVC_MOUNT = '/mnt/runnable';
/** every template but the workflow's entry takes the `--map-variable` of its steps (`{}` outside maps and loops) */
export const MAP_VARIABLE = 'map_variable';
export const MAP_VARIABLE_INPUT = `{{inputs.parameters.${MAP_VARIABLE}}}`;
/** the input parameter of the shared stub/success/fail template: the step's internal name */
export const STEP = 'step';

export type Obj = Record<string, unknown>;

const TRACED = [{ name: TRACE_CONTEXT_ENV, value: TRACE_FROM_RUN_ID }];

export interface PodContext {
  config: ArgoConfig;
  /** `{{workflow.parameters.run_id}}` (a Workflow) or `{{workflow.name}}` (a CronWorkflow's runs) */
  runId: string;
  /** the pipeline file, relative to the image's working directory */
  pipelineFile: string;
  /** the pods' runnable config (YAML) */
  podConfig: string;
  volumeMounts: Obj[];
}

export class PodTemplates {
  constructor(private readonly ctx: PodContext) {}

  /** `defaults` with the step's `overrides: {argo: NAME}` over them, key by key (env by name). */
  settingsFor(node: PipelineNode | undefined): PodSettings & { image: string } {
    const { defaults, overrides } = this.ctx.config;
    const name = node?.overrides?.argo;
    if (!name) return defaults;
    const entry = overrides[name];
    if (!entry) {
      const known = Object.keys(overrides);
      throw new RunnableError('E_CONFIG', `step '${node.internalName}' asks for argo override '${name}', which the config does not define${known.length ? ` (defined: ${known.join(', ')})` : ''}`, {
        field: 'pipeline-executor.config.overrides',
        step: node.internalName,
      });
    }
    const env = new Map<string, EnvEntry>();
    for (const e of [...(defaults.env ?? []), ...(entry.env ?? [])]) env.set(e.name, e);
    const merged = { ...defaults, ...Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== undefined)) } as PodSettings & { image: string };
    return { ...merged, env: [...env.values()] };
  }

  /** A task: `runnable execute-single-node`, with the task's settings. */
  step(name: string, task: TaskNode): Obj {
    const args = ['execute-single-node', this.ctx.runId, this.ctx.pipelineFile, task.internalName, '--map-variable', MAP_VARIABLE_INPUT, '-c', POD_CONFIG];
    // max_attempts: one attempt per pod, Argo runs the pod again (retryStrategy), numbered on from the run log
    if (task.maxAttempts > 1) args.push('--one-attempt');
    return this.container(name, task, args, { secrets: task.secrets, retry: this.retryFor(task), env: TRACED });
  }

  /**
   * Stubs, success and fail steps run no user code and take no settings: one template for all
   * of them, the step given as the input parameter `step` (a pipeline with many branches has a
   * success and a fail step in each).
   */
  controlStep(name: string): Obj {
    const args = ['execute-single-node', this.ctx.runId, this.ctx.pipelineFile, `{{inputs.parameters.${STEP}}}`, '--map-variable', MAP_VARIABLE_INPUT, '-c', POD_CONFIG];
    const template = this.container(name, undefined, args, { env: TRACED });
    (template.inputs.parameters as Obj[]).push({ name: STEP });
    return template;
  }

  /** `runnable fan RUN STEP PIPELINE in|out`, writing the branches to run as output parameters. */
  fan(name: string, node: PipelineNode, direction: 'in' | 'out', outputs: string[]): Obj {
    const args = ['fan', this.ctx.runId, node.internalName, this.ctx.pipelineFile, direction, '--map-variable', MAP_VARIABLE_INPUT, '-c', POD_CONFIG, '--outputs', POD_OUTPUTS];
    const template = this.container(name, node, args, { env: TRACED });
    // the files `fan --outputs` writes (src/runner/branches.ts): `branch-<i>.json` and `run-<i>`
    if (outputs.length) template.outputs = { parameters: outputs.map((o) => ({ name: o, valueFrom: { path: `${POD_OUTPUTS}/${o}${o.startsWith('branch-') ? '.json' : ''}` } })) };
    return template;
  }

  /** The workflow's first pod: creates the run, or continues it when the run id failed before. */
  openRun(name: string, parametersFile: string | undefined, tag: string, exposed: string[]): Obj {
    const args = ['open-run', this.ctx.runId, this.ctx.pipelineFile, '-c', POD_CONFIG];
    if (parametersFile) args.push('-p', parametersFile);
    if (tag) args.push('--tag', tag);
    const env = exposed.map((p) => ({ name: `RUNNABLE_PRM_${p}`, value: `{{workflow.parameters.${p}}}` }));
    const template = this.container(name, undefined, args, { env });
    delete template.inputs.parameters;
    return template;
  }

  private container(name: string, node: PipelineNode | undefined, args: string[], opts: { secrets?: string[]; env?: Obj[]; retry?: Obj }): Obj & { inputs: Obj } {
    const s = this.settingsFor(node);
    const env: Obj[] = [...(s.env ?? []).map(envVar), ...(opts.env ?? [])];
    for (const secret of opts.secrets ?? []) {
      // checked before compiling (executor.pipelineToCheck): a task with secrets needs secret_from_k8s
      env.push({ name: secret, valueFrom: { secretKeyRef: { name: this.ctx.config.secretFromK8s, key: secret } } });
    }
    const container: Obj = {
      image: s.image,
      command: ['runnable', ...args],
      ...(s.imagePullPolicy ? { imagePullPolicy: s.imagePullPolicy } : {}),
      ...(s.resources ? { resources: s.resources } : {}),
      ...(env.length ? { env } : {}),
      ...(this.ctx.volumeMounts.length ? { volumeMounts: this.ctx.volumeMounts } : {}),
    };
    const retry = opts.retry ?? s.retryStrategy;
    return {
      name,
      inputs: {
        parameters: [{ name: MAP_VARIABLE }],
        artifacts: [{ name: 'runnable-config', path: POD_CONFIG, raw: { data: this.ctx.podConfig } }],
      },
      container,
      ...(retry ? { retryStrategy: retry } : {}),
      ...(s.activeDeadlineSeconds ? { activeDeadlineSeconds: s.activeDeadlineSeconds } : {}),
      ...(s.timeout ? { timeout: s.timeout } : {}),
      ...(s.nodeSelector && Object.keys(s.nodeSelector).length ? { nodeSelector: s.nodeSelector } : {}),
      ...(s.tolerations?.length ? { tolerations: s.tolerations } : {}),
    };
  }

  /** `max_attempts` as a retryStrategy: N-1 more pods, `retry_delay_seconds` × `retry_backoff_factor`^n apart. */
  private retryFor(task: TaskNode): Obj | undefined {
    const base = this.settingsFor(task).retryStrategy;
    if (task.maxAttempts <= 1) return base;
    const delay = task.retryDelaySeconds ?? 0;
    const factor = task.retryBackoffFactor ?? 1;
    return {
      ...base,
      limit: task.maxAttempts - 1,
      retryPolicy: (base?.retryPolicy as string | undefined) ?? 'Always',
      ...(delay > 0 ? { backoff: { duration: `${delay}s`, factor: Number.isInteger(factor) ? factor : String(factor) } } : {}),
    };
  }
}

function envVar(e: EnvEntry): Obj {
  if (e.value !== undefined) return { name: e.name, value: e.value };
  return { name: e.name, valueFrom: { secretKeyRef: { name: e.secretName, key: e.secretKey } } };
}
