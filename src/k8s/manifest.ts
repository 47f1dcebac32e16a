/**
 * The Kubernetes objects a `k8s-job` submits: a `batch/v1` Job whose one container runs the
 * job's task, or a CronJob wrapping the same Job template when a `schedule` is set. Built from
 * the settings (config.ts) and what only the run knows (its name, the command, where the run
 * logs and the catalog are mounted), then validated against the official batch/v1 and core/v1
 * schemas (`kubernetes-models`): a manifest that does not pass is an error naming the field,
 * before anything is submitted.
 */
import { posix } from 'node:path';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { stringify } from 'yaml';
import type { EnvVar, K8sJobSettings, K8sObject } from './config.js';

/** The container's name in the pod, for its log. */
export const CONTAINER = 'job';

/** A folder of this machine's stores that the pod must see at `mountPath`. */
export interface StoreMount {
  /** `run-log-store` or `catalog`: the volume's sub-path and the mount's name */
  what: 'run-log-store' | 'catalog';
  mountPath: string;
}

export interface JobManifestInput {
  /** the Job's (or CronJob's) name: the run id, a valid Kubernetes name */
  name: string;
  /** the container's command and arguments */
  command: string[];
  /** the stores' folders to mount from the PVC or the node (none for object-storage stores) */
  storeMounts: StoreMount[];
  /** more environment variables for the process (a launcher's `env`, e.g. TRACEPARENT) */
  env?: Record<string, string>;
  /** labels that find the run's objects: `runnable.run-id` */
  labels: Record<string, string>;
}

export type Manifest = Job | CronJob;

/** The Job, or the CronJob when `settings.schedule` is set; validated (throws ManifestError). */
export function jobManifest(settings: K8sJobSettings, input: JobManifestInput): Manifest {
  const labels = { ...settings.labels, ...input.labels };
  const { volumes, mounts } = storeVolumes(settings, input.storeMounts);
  const env: EnvVar[] = [...settings.env, ...Object.entries(input.env ?? {}).map(([name, value]) => ({ name, value }))];
  const container = {
    name: CONTAINER,
    image: settings.image,
    ...(settings.imagePullPolicy ? { imagePullPolicy: settings.imagePullPolicy } : {}),
    command: input.command,
    workingDir: settings.workingDir,
    ...(env.length ? { env } : {}),
    ...(settings.resources ? { resources: settings.resources } : {}),
    ...(mounts.length || settings.volumeMounts.length ? { volumeMounts: [...mounts, ...settings.volumeMounts] } : {}),
  };
  const podSpec = {
    containers: [container],
    restartPolicy: settings.restartPolicy,
    ...(settings.serviceAccountName ? { serviceAccountName: settings.serviceAccountName } : {}),
    ...(settings.podActiveDeadlineSeconds !== undefined ? { activeDeadlineSeconds: settings.podActiveDeadlineSeconds } : {}),
    ...(settings.nodeSelector ? { nodeSelector: settings.nodeSelector } : {}),
    ...(settings.tolerations ? { tolerations: settings.tolerations } : {}),
    ...(volumes.length || settings.volumes.length ? { volumes: [...volumes, ...settings.volumes] } : {}),
  };
  const jobSpec = {
    backoffLimit: settings.backoffLimit,
    ...(settings.activeDeadlineSeconds !== undefined ? { activeDeadlineSeconds: settings.activeDeadlineSeconds } : {}),
    ...(settings.ttlSecondsAfterFinished !== undefined ? { ttlSecondsAfterFinished: settings.ttlSecondsAfterFinished } : {}),
    ...(settings.selector ? { selector: settings.selector, manualSelector: true } : {}),
    template: {
      metadata: { labels, ...(Object.keys(settings.annotations).length ? { annotations: settings.annotations } : {}) },
      spec: podSpec,
    },
  };
  const metadata = { name: input.name, namespace: settings.namespace, labels, ...(Object.keys(settings.annotations).length ? { annotations: settings.annotations } : {}) };
  const manifest = settings.schedule
    ? new CronJob({ metadata, spec: { schedule: settings.schedule, concurrencyPolicy: 'Forbid', jobTemplate: { metadata: { labels }, spec: jobSpec } } } as never)
    : new Job({ metadata, spec: jobSpec } as never);
  validateManifest(manifest);
  return manifest;
}

/** What does not pass the Kubernetes schema; `field` is the path in the manifest (`spec.template.spec.tolerations.0.effect`). */
export class ManifestError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

/** Validates a Job, CronJob or any kubernetes-models object against its official schema. */
export function validateManifest(model: { validate(): void }): void {
  try {
    model.validate();
  } catch (e) {
    const first = (e as { errors?: { instancePath?: string; message?: string }[] }).errors?.[0];
    const field = (first?.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
    throw new ManifestError(`the ${(model as { kind?: string }).kind ?? 'Kubernetes'} manifest does not pass the Kubernetes schema: ${field || '(root)'} ${first?.message ?? String(e)}`, field);
  }
}

/** The manifest as YAML, as `kubectl apply -f` takes it. */
export function manifestYaml(manifest: Manifest): string {
  return stringify(manifest.toJSON(), { lineWidth: 0 });
}

/**
 * The volume that holds the stores' folders and its mounts: a PVC (sub-paths `run-log-store`
 * and `catalog`, so one claim holds both without their run folders colliding) or, for
 * `mini-k8s-job`, the node's folders.
 */
function storeVolumes(settings: K8sJobSettings, storeMounts: StoreMount[]): { volumes: K8sObject[]; mounts: K8sObject[] } {
  const sv = settings.storeVolume;
  if (!sv || !storeMounts.length) return { volumes: [], mounts: [] };
  if (sv.kind === 'pvc') {
    const name = 'runnable-stores';
    return {
      volumes: [{ name, persistentVolumeClaim: { claimName: sv.claimName } }],
      mounts: storeMounts.map((m) => ({ name, mountPath: m.mountPath, subPath: m.what })),
    };
  }
  const volumes = storeMounts.map((m) => ({ name: m.what, hostPath: { path: posix.normalize(m.what === 'catalog' ? sv.catalog : sv.runLog), type: 'DirectoryOrCreate' } }));
  return { volumes, mounts: storeMounts.map((m) => ({ name: m.what, mountPath: m.mountPath })) };
}
