/**
 * `k8s-job` job executor (runnable's `k8s-job`; `mini-k8s-job` for minikube): the job's task runs
 * in a Kubernetes `batch/v1` Job. `runnable execute-job` creates the run, submits the Job
 * (`@kubernetes/client-node`; a kubeconfig file, else $KUBECONFIG / ~/.kube/config, else the
 * service account when it runs in a cluster), follows it to its end with the pod's log streamed,
 * and settles the run from the run log, which the pod writes: its container runs the same
 * job-task entry as the `emulate` and `local-container` job executors
 * (`node <runnable_ts>/dist/bundle/container-job.mjs RUN_ID JOB [CONFIG]`). A pod that ended
 * without recording its end (OOMKilled, evicted, deadline) fails the job with Kubernetes' reason
 * and the end of its log. Ctrl-C (or SIGTERM) deletes the Job (propagationPolicy Background):
 * its pod records the job FAIL on SIGTERM; the run is FAIL and can be run again.
 *
 * With `schedule` it creates a CronJob instead and returns: each scheduled run starts its own run
 * (its pod runs `container-job.mjs --new-run JOB [CONFIG]`). `--dry-run` (or runnable's
 * `mock: true`) prints the manifest and submits nothing.
 *
 * The image holds the project (the job file, its code, the config, at the same relative paths)
 * and runnable-ts. The pod must see the run's log and catalog: object-storage stores need
 * nothing; folders on a disk (`file-system`, `chunked-fs`, the `file-system` catalog) are mounted
 * from `pvc` (runnable: `pvc_claim_name`) at the paths the config names, taken from
 * `working_dir` (default /app) when relative — the same storage that `runnable execute-job` sees at those paths.
 *
 * @example
 * # runnable-config.yaml
 * job-executor:
 *   type: k8s-job
 *   config:
 *     image: registry.example.com/team/project:1.4.0
 *     namespace: ml
 *     working_dir: /app
 *     pvc: runnable
 *     resources: {limits: {cpu: "1", memory: 2Gi}}
 * run-log-store:
 *   type: chunked-fs
 */
import { isAbsolute, posix, relative, sep } from 'node:path';
import type { CatalogStore } from '../../catalog/types.js';
import { RunnableError } from '../../errors.js';
import type { Job } from '../../graph/model.js';
import { k8sJobConfig, miniK8sJobConfig, type K8sJobSettings } from '../../k8s/config.js';
import type { Manifest, StoreMount } from '../../k8s/manifest.js';
import type { Plugin, PluginEnv } from '../../registry.js';
import type { RunLogStore, Status } from '../../runlog/types.js';
import type { RunContext } from '../../engine/context.js';
import type { StepCommand } from '../../engine/launcher.js';
import { KubernetesJobLauncher } from '../_k8s_launcher.js';
import { storeFolders } from '../_elsewhere.js';
import { jobFileFor, runJobElsewhere } from './_remote.js';
import type { JobExecutor, JobPlace } from './types.js';

const WHERE = 'in a Kubernetes pod';
const ENTRY = 'dist/bundle/container-job.mjs';

export class K8sJobExecutor implements JobExecutor {
  /** the pod writes the run log */
  readonly exclusive = false;
  readonly mock: boolean;
  readonly schedule?: (job: Job, place: JobPlace) => Promise<string>;

  constructor(
    readonly type: string,
    private readonly settings: K8sJobSettings,
    private readonly env: PluginEnv,
  ) {
    this.mock = settings.mock;
    if (settings.schedule) this.schedule = (job, place) => this.createCronJob(job, place);
  }

  /** Everything but the API server, before the run exists: the job file, the mounts, the manifest, the credentials. */
  async check(job: Job, store: RunLogStore, catalog: CatalogStore, opts: { dryRun: boolean }): Promise<void> {
    await this.manifest(job, { runId: 'check', store, catalog });
    if (!opts.dryRun && !this.settings.mock) await this.connect();
  }

  async dryRun(job: Job, place: JobPlace): Promise<string> {
    const { manifestYaml } = await import('../../k8s/manifest.js');
    return manifestYaml(await this.manifest(job, place));
  }

  async execute(rc: RunContext, job: Job): Promise<Status> {
    const place = { runId: rc.runId, store: rc.log.store, catalog: rc.catalog };
    // a retried job is a new Job: the one before may still be in the cluster (ttlSecondsAfterFinished)
    const before = (await rc.log.job())?.attempts.length ?? 0;
    const name = before ? `${rc.runId.slice(0, 55)}-retry-${before + 1}`.slice(0, 63) : rc.runId;
    const launcher = new KubernetesJobLauncher(() => this.connect(), async (_rc, cmd) => this.manifest(job, place, cmd, name), this.settings.pollIntervalMs);
    return runJobElsewhere(rc, job, this.type, WHERE, launcher, "the job's pod");
  }

  private async createCronJob(job: Job, place: JobPlace): Promise<string> {
    const manifest = await this.manifest(job, place);
    const client = await this.connect();
    await client.create(manifest);
    const { namespace, schedule } = this.settings;
    return `k8s-job: created CronJob ${namespace}/${place.runId} on ${client.server}, schedule "${schedule}"; each scheduled run starts a run of its own (runnable runs list)`;
  }

  private async connect() {
    const { KubernetesClient } = await import('../../k8s/client.js');
    return await KubernetesClient.connect({ kubeconfig: this.settings.kubeconfig, context: this.settings.context, cwd: this.env.cwd, env: this.env.env });
  }

  /** The validated Job (or CronJob) for this run; what is wrong is a RunnableError (exit 2 before the run). */
  /** `name`: the Job's, the run id unless a retry */
  private async manifest(job: Job, place: JobPlace, cmd?: StepCommand, name = place.runId): Promise<Manifest> {
    // loaded now, not with this module: the schemas are large, and only k8s-job runs need them
    const { jobManifest, ManifestError } = await import('../../k8s/manifest.js');
    const file = jobFileFor(place.store, job, this.type, WHERE);
    const configFile = this.env.configFile ? this.inPod(this.env.configFile) : undefined;
    const entry = posix.join(this.settings.runnableTs, ENTRY);
    // the job-task command's `RUN_ID JOB [CONFIG]`, with the project's paths as the pod sees them
    const args = this.settings.schedule ? ['--new-run', this.inPod(file)] : [place.runId, this.inPod(file)];
    try {
      return jobManifest(this.settings, {
        name,
        command: ['node', entry, ...args, ...(configFile ? [configFile] : [])],
        storeMounts: this.storeMounts(place.store, place.catalog),
        env: cmd?.env,
        labels: this.settings.schedule ? { 'runnable.job': place.runId } : { 'runnable.run-id': place.runId },
      });
    } catch (e) {
      if (e instanceof ManifestError) throw new RunnableError('E_CONFIG', e.message, { file: this.env.configFile, field: 'job-executor.config' });
      throw e;
    }
  }

  /** A path of the project as the pod sees it: relative to its working directory (the project's folder in the image). */
  private inPod(path: string): string {
    const rel = isAbsolute(path) ? relative(this.env.cwd, path) : path;
    if (isAbsolute(rel) || rel.startsWith('..')) return path;
    return rel.split(sep).join('/');
  }

  /**
   * Where the pod must see this machine's store folders: at the path the config names (relative
   * ones under `working_dir`), from the PVC (or mini-k8s-job's node folders). A folder neither a
   * PVC nor the config's own `volume_mounts` provide is refused: the pod would not see the run.
   */
  private storeMounts(store: RunLogStore, catalog: CatalogStore): StoreMount[] {
    const folders = storeFolders(store, catalog);
    const mounts: StoreMount[] = [];
    const wanted: [StoreMount['what'], string | undefined, string][] = [
      ['run-log-store', folders.runLog, `run-log-store '${store.type}'`],
      ['catalog', folders.catalog, `catalog '${catalog.type}'`],
    ];
    const given = this.settings.volumeMounts.map((m) => String(m.mountPath ?? ''));
    for (const [what, folder, label] of wanted) {
      if (!folder) continue;
      const rel = relative(this.env.cwd, folder);
      const inProject = !rel.startsWith('..') && !isAbsolute(rel);
      const shown = inProject ? rel.split(sep).join('/') : folder;
      const mountPath = inProject ? posix.join(this.settings.workingDir, shown) : folder;
      if (given.some((g) => g && (mountPath === g || mountPath.startsWith(`${g.replace(/\/$/, '')}/`)))) continue;
      if (!this.settings.storeVolume) {
        throw new RunnableError(
          'E_CONFIG',
          `the k8s-job executor runs the task ${WHERE}, which must see the ${label} at ${mountPath}: give pvc (a PersistentVolumeClaim mounted there), volumes and volume_mounts that mount it, or use an object-storage store (s3)`,
          { file: this.env.configFile, field: 'job-executor.config.pvc' },
        );
      }
      mounts.push({ what, mountPath });
    }
    return mounts;
  }
}

export const k8sJob: Plugin<JobExecutor, K8sJobSettings> = {
  config: k8sJobConfig,
  create: (settings, env) => new K8sJobExecutor('k8s-job', settings, env),
};

export const miniK8sJob: Plugin<JobExecutor, K8sJobSettings> = {
  config: miniK8sJobConfig,
  create: (settings, env) => new K8sJobExecutor('mini-k8s-job', settings, env),
};
