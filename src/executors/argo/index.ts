/**
 * `argo`: runs nothing here. `runnable execute pipeline.yaml -c argo.yaml` (and the SDK's
 * `execute`) writes the pipeline as an Argo Workflow (a CronWorkflow with `cron_schedule`) to
 * `output_file` and says how to submit it; every step then runs in a pod through the
 * step-at-a-time protocol (`execute-single-node`, `fan`). No run log is created here: the
 * workflow's first pod (`runnable open-run`) creates the run under the `run_id` given at
 * submission, so a manifest written and never submitted leaves no run behind, and the same
 * manifest submitted again with the `run_id` of a failed run continues that run (what succeeded
 * is skipped), as `runnable retry` would.
 *
 * @example
 * # argo-config.yaml (runnable's own Argo configuration is accepted as written)
 * pipeline-executor:
 *   type: argo
 *   config:
 *     pvc_for_runnable: runnable
 *     defaults:
 *       image: registry.example.com/my-project:1.0
 *       resources: {limits: {cpu: "2", memory: 4Gi}, requests: {cpu: "1", memory: 2Gi}}
 *     argoWorkflow:
 *       metadata: {generateName: my-pipeline-, namespace: pipelines}
 *       spec: {serviceAccountName: argo-runner}
 * run-log-store:
 *   type: chunked-fs
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RunnableError } from '../../errors.js';
import type { Pipeline } from '../../graph/model.js';
import { walkNodes } from '../../graph/walk.js';
import type { Plugin } from '../../registry.js';
import type { RunLogStore, Status } from '../../runlog/types.js';
import { displayPath } from '../../util/display-path.js';
import { fileForOtherProcesses } from '../_elsewhere.js';
import type { HandOff, HandOffInput, PipelineExecutor } from '../types.js';
import { argoConfig, type ArgoConfig } from './config.js';
import { compileWorkflow } from './compile.js';
import { podConfig } from './pod-config.js';
import { toYaml } from './_yaml.js';
import { argoProblem } from './schema.js';
import { PVC_MOUNT, PodTemplates } from './templates.js';

export class ArgoExecutor implements PipelineExecutor {
  readonly type = 'argo';
  readonly exclusive = false;
  constructor(readonly config: ArgoConfig) {}

  /** What makes the manifest impossible is an exit-2 error before anything is written. */
  pipelineToCheck(pipeline: Pipeline, store: RunLogStore): Pipeline {
    fileForOtherProcesses(store, pipeline.source, 'pipeline', 'argo', 'in pods');
    const pods = new PodTemplates({ config: this.config, runId: '', pipelineFile: '', podConfig: '', volumeMounts: [] });
    for (const node of walkNodes(pipeline.graph)) {
      pods.settingsFor(node);
      if (node.type === 'task' && node.secrets.length && !this.config.secretFromK8s) {
        throw new RunnableError('E_CONFIG', `step '${node.internalName}' needs secrets (${node.secrets.join(', ')}): name the Kubernetes secret that holds them in secret_from_k8s`, {
          field: 'pipeline-executor.config.secret_from_k8s',
          step: node.internalName,
        });
      }
    }
    return pipeline;
  }

  execute(): Promise<Status> {
    return Promise.reject(new RunnableError('E_CONFIG', 'the argo executor runs nothing here: it writes a workflow (handOff)', { field: 'pipeline-executor.type' }));
  }

  /** The manifest as an object (what `handOff` writes). */
  manifest(run: HandOffInput): Record<string, unknown> {
    const c = this.config;
    const pvc = c.pvcForRunnable;
    const volumes = [
      ...(pvc ? [{ name: 'runnable', persistentVolumeClaim: { claimName: pvc } }] : []),
      ...c.customVolumes.map((v, i) => ({ name: `custom-volume-${i}`, persistentVolumeClaim: { claimName: v.persistentVolumeClaim.claimName, readOnly: v.persistentVolumeClaim.readOnly } })),
    ];
    const volumeMounts = [
      ...(pvc ? [{ name: 'runnable', mountPath: PVC_MOUNT }] : []),
      ...c.customVolumes.map((v, i) => ({ name: `custom-volume-${i}`, mountPath: v.mountPath, readOnly: v.persistentVolumeClaim.readOnly })),
    ];
    return compileWorkflow(run.pipeline.graph, {
      config: c,
      pipelineFile: inProject(run.pipeline.source.path, run.cwd, 'the pipeline'),
      parametersFile: run.parametersFile ? inProject(run.parametersFile, run.cwd, 'the parameters file') : undefined,
      tag: run.tag,
      parameters: run.parameters,
      podConfig: podConfig(run.config, { 'run-log-store': run.store, catalog: run.catalog }, c.defaults.image, pvc),
      concurrentWriters: run.store.concurrentWriters,
      volumes,
      volumeMounts,
    });
  }

  /** The manifest checked against the official Argo schema, strictly (a few seconds: the schema is large). */
  checkHandOff(run: HandOffInput): string {
    const manifest = this.manifest(run);
    const kind = manifest.kind === 'CronWorkflow' ? 'CronWorkflow' : 'Workflow';
    const problem = argoProblem(kind, manifest);
    if (problem) throw new RunnableError('E_CONFIG', `the Argo ${kind} this config writes is not valid: ${problem}`, { file: run.config.file, field: 'pipeline-executor.config' });
    const templates = ((kind === 'CronWorkflow' ? (manifest.spec as { workflowSpec: object }).workflowSpec : manifest.spec) as { templates: unknown[] }).templates.length;
    return `argo manifest valid (${kind}, ${templates} templates, checked against the Argo Workflows v4.1.2 schema)`;
  }

  async handOff(run: HandOffInput): Promise<HandOff> {
    const text = toYaml(this.manifest(run));
    const file = path.resolve(run.cwd, this.config.outputFile);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
    const shown = displayPath(file, run.cwd);
    const ns = this.config.argoWorkflow.metadata.namespace;
    const nsFlag = ns ? ` -n ${ns}` : '';
    const message = this.config.cronSchedule
      ? `runnable: wrote the Argo CronWorkflow for ${run.pipeline.source.path} to ${shown} (nothing ran)\n  schedule it: argo cron create ${shown}${nsFlag}\n  each scheduled run's run id is its workflow's name`
      : `runnable: wrote the Argo Workflow for ${run.pipeline.source.path} to ${shown} (nothing ran)\n  submit it:   argo submit ${shown}${nsFlag} -p run_id=${run.runId}\n  retry a failed run: submit it again with the same run_id (what succeeded is skipped)`;
    return { file: shown, message };
  }
}

/** Paths the pods use are taken from the image's working directory: they must be inside the project. */
function inProject(file: string, cwd: string, what: string): string {
  const shown = displayPath(file, cwd);
  if (path.isAbsolute(shown)) throw new RunnableError('E_CONFIG', `${what} ${file} is outside the project folder ${cwd}: the pods find it in the image, relative to the project`, { field: 'pipeline-executor.type' });
  return shown;
}

export const argo: Plugin<PipelineExecutor, ArgoConfig> = {
  config: argoConfig as unknown as Plugin<PipelineExecutor, ArgoConfig>['config'],
  create: (config) => new ArgoExecutor(config),
};
