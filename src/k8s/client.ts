/**
 * What runnable-ts asks of a Kubernetes API server, through `@kubernetes/client-node`: create a
 * Job or CronJob, follow a Job to its end (its pods looked up by the `job-name` label the Job
 * controller sets, each pod's log streamed with `follow=true` once it started), and delete a
 * Job with `propagationPolicy: Background` (its pods go too). Credentials: a kubeconfig file,
 * else $KUBECONFIG or ~/.kube/config, else the pod's service account when running in a cluster
 * (client-node's `loadFromDefault`). The Job is followed by polling: one GET of the Job and one
 * LIST of its pods per interval, which every API server and proxy answers.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import type { BatchV1Api, CoreV1Api, KubeConfig, V1Job, V1Pod } from '@kubernetes/client-node';
import { RunnableError } from '../errors.js';
import { CONTAINER, type Manifest } from './manifest.js';

const TAIL_BYTES = 8 * 1024;
/** after the Job ended, how long its pods' log streams may take to drain */
const DRAIN_MS = 30_000;
/** after a delete, how long the pods may take to stop (Kubernetes' default grace period is 30 s) */
const STOP_MS = 60_000;

export interface ClientOptions {
  kubeconfig?: string;
  context?: string;
  cwd: string;
  env?: NodeJS.ProcessEnv;
}

/** How a followed Job ended. */
export interface JobEnd {
  /** the Job's `Complete` condition is true */
  succeeded: boolean;
  /** a sentence: "the job's pod exited with code 1", "the Job failed: DeadlineExceeded (...)" */
  how: string;
  /** the end of the pods' log */
  logTail: string;
  /** the image the (last) pod ran, as the kubelet reports it (`imageID`: a digest) */
  imageId?: string;
  /** the pods that ran, in order */
  pods: string[];
}

export class KubernetesClient {
  private constructor(
    private readonly kc: KubeConfig,
    private readonly batch: BatchV1Api,
    private readonly core: CoreV1Api,
    private readonly k8s: typeof import('@kubernetes/client-node'),
  ) {}

  /** The server's address, for messages. */
  get server(): string {
    return this.kc.getCurrentCluster()?.server ?? '(no cluster)';
  }

  /** Loads the credentials; none usable is a RunnableError (E_CONFIG). Nothing is sent yet. */
  static async connect(opts: ClientOptions): Promise<KubernetesClient> {
    // loaded now, not with this module: it is large, and only k8s-job runs need it
    const k8s = await import('@kubernetes/client-node');
    const kc = new k8s.KubeConfig();
    const field = 'job-executor.config.kubeconfig';
    const env = opts.env ?? process.env;
    try {
      if (opts.kubeconfig) kc.loadFromFile(resolve(opts.cwd, opts.kubeconfig));
      else if (!env.KUBECONFIG && !env.KUBERNETES_SERVICE_HOST && !existsSync(join(homedir(), '.kube', 'config'))) {
        throw new Error('no kubeconfig (give kubeconfig, or set KUBECONFIG) and not in a cluster');
      } else kc.loadFromDefault();
    } catch (e) {
      throw new RunnableError('E_CONFIG', `cannot load the Kubernetes credentials: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`, { field });
    }
    if (opts.context) {
      if (!kc.getContextObject(opts.context)) throw new RunnableError('E_CONFIG', `no context '${opts.context}' in the kubeconfig`, { field: 'job-executor.config.context' });
      kc.setCurrentContext(opts.context);
    }
    if (!kc.getCurrentCluster()) throw new RunnableError('E_CONFIG', 'the kubeconfig names no current cluster', { field });
    return new KubernetesClient(kc, kc.makeApiClient(k8s.BatchV1Api), kc.makeApiClient(k8s.CoreV1Api), k8s);
  }

  /** Creates the Job or CronJob in its namespace. */
  async create(manifest: Manifest): Promise<void> {
    const namespace = manifest.metadata!.namespace!;
    const body = manifest.toJSON() as never;
    if (manifest.kind === 'CronJob') await this.call('create the CronJob', () => this.batch.createNamespacedCronJob({ namespace, body }));
    else await this.call('create the Job', () => this.batch.createNamespacedJob({ namespace, body }));
  }

  /** Deletes the Job and (in the background) its pods; a Job already gone is not an error. */
  async deleteJob(name: string, namespace: string): Promise<void> {
    try {
      await this.batch.deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background', body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' } });
    } catch (e) {
      if (statusOf(e) !== 404) throw this.error('delete the Job', e);
    }
  }

  /**
   * Follows the Job until its Complete or Failed condition (or it disappears), streaming each of
   * its pods' log to `output` as it is written. On `signal` the Job is deleted and its pods are
   * followed until they stopped, so that what they record on SIGTERM is in before this returns.
   */
  async follow(name: string, namespace: string, opts: { pollMs: number; signal: AbortSignal; output: (chunk: Buffer) => void; notice?: (line: string) => void }): Promise<JobEnd> {
    const streams = new Map<string, Promise<void>>();
    let tail = Buffer.alloc(0);
    const onChunk = (chunk: Buffer) => {
      opts.output(chunk);
      tail = Buffer.concat([tail, chunk]);
      if (tail.length > TAIL_BYTES) tail = tail.subarray(tail.length - TAIL_BYTES);
    };
    const aborts: AbortController[] = [];
    // why a pod has not started (ErrImagePull, Unschedulable, ...), said once per change: the Job waits for it
    const waiting = new Map<string, string>();
    const streamNew = (pods: V1Pod[]) => {
      for (const pod of pods) {
        const podName = pod.metadata?.name;
        const why = podName && pod.status?.phase === 'Pending' ? waitingReason(pod) : undefined;
        if (podName && why && waiting.get(podName) !== why) {
          waiting.set(podName, why);
          opts.notice?.(`k8s-job: pod ${podName} is waiting: ${why}\n`);
        }
        if (!podName || streams.has(podName) || !pod.status?.phase || pod.status.phase === 'Pending') continue;
        streams.set(podName, this.streamLog(namespace, podName, onChunk, aborts));
      }
    };
    let job: V1Job | undefined;
    let pods: V1Pod[] = [];
    let deleted = false;
    for (;;) {
      job = await this.readJob(name, namespace);
      pods = job ? await this.jobPods(name, namespace) : [];
      streamNew(pods);
      if (!job || finished(job)) break;
      if (opts.signal.aborted) {
        await this.deleteJob(name, namespace);
        deleted = true;
        await this.untilStopped(name, namespace, opts.pollMs, streamNew);
        break;
      }
      await sleep(opts.pollMs, opts.signal);
    }
    await drain([...streams.values()], aborts);
    const last = pods.at(-1);
    return {
      succeeded: !!job && condition(job, 'Complete'),
      how: deleted ? `the Job ${namespace}/${name} was deleted` : describeEnd(job, last, `${namespace}/${name}`),
      logTail: tail.toString('utf8'),
      imageId: last?.status?.containerStatuses?.find((c) => c.name === CONTAINER)?.imageID || undefined,
      pods: [...streams.keys()],
    };
  }

  private async untilStopped(name: string, namespace: string, pollMs: number, streamNew: (pods: V1Pod[]) => void): Promise<void> {
    const until = Date.now() + STOP_MS;
    while (Date.now() < until) {
      const pods = await this.jobPods(name, namespace);
      streamNew(pods);
      if (pods.every((p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed')) return;
      await sleep(pollMs);
    }
  }

  private async readJob(name: string, namespace: string): Promise<V1Job | undefined> {
    try {
      return await this.batch.readNamespacedJob({ name, namespace });
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw this.error('read the Job', e);
    }
  }

  private async jobPods(name: string, namespace: string): Promise<V1Pod[]> {
    const list = await this.call("list the Job's pods", () => this.core.listNamespacedPod({ namespace, labelSelector: `job-name=${name}` }));
    return [...list.items].sort((a, b) => String(a.metadata?.creationTimestamp ?? '').localeCompare(String(b.metadata?.creationTimestamp ?? '')));
  }

  /** Streams one pod's log until it ends (the container exited) or `aborts` stop it. */
  private async streamLog(namespace: string, pod: string, onChunk: (c: Buffer) => void, aborts: AbortController[]): Promise<void> {
    let ended!: () => void;
    const done = new Promise<void>((r) => (ended = r));
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        onChunk(chunk);
        cb();
      },
    });
    sink.on('finish', () => ended());
    sink.on('close', () => ended());
    sink.on('error', () => ended());
    try {
      aborts.push(await new this.k8s.Log(this.kc).log(namespace, pod, CONTAINER, sink, { follow: true }));
    } catch {
      // a pod gone before its log was read: the log is lost, the run log says how the job ended
      ended();
    }
    return done;
  }

  /** Runs one API call; what goes wrong is a RunnableError saying what could not be done, and why. */
  private async call<T>(what: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw this.error(what, e);
    }
  }

  private error(what: string, e: unknown): RunnableError {
    return new RunnableError('E_KUBERNETES', `could not ${what} on the Kubernetes API server at ${this.server}: ${reason(e)}`);
  }
}

/** What keeps a pending pod from running, when Kubernetes says (not the usual ContainerCreating). */
function waitingReason(pod: V1Pod): string | undefined {
  const w = pod.status?.containerStatuses?.find((c) => c.name === CONTAINER)?.state?.waiting;
  if (w?.reason && w.reason !== 'ContainerCreating') return `${w.reason}${w.message ? ` (${w.message})` : ''}`;
  const unscheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  return unscheduled ? `${unscheduled.reason ?? 'Unschedulable'}${unscheduled.message ? ` (${unscheduled.message})` : ''}` : undefined;
}

function condition(job: V1Job, type: 'Complete' | 'Failed'): boolean {
  return !!job.status?.conditions?.some((c) => c.type === type && c.status === 'True');
}

function finished(job: V1Job): boolean {
  return condition(job, 'Complete') || condition(job, 'Failed');
}

/** "the job's pod exited with code 1" / "was OOMKilled" / the Job's own reason (DeadlineExceeded). */
function describeEnd(job: V1Job | undefined, pod: V1Pod | undefined, ref: string): string {
  if (!job) return `the Job ${ref} was deleted before it finished`;
  const failed = job.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
  const state = pod?.status?.containerStatuses?.find((c) => c.name === CONTAINER)?.state?.terminated;
  const parts: string[] = [];
  if (state) {
    const signal = state.signal ? ` (signal ${state.signal})` : '';
    parts.push(state.reason && state.reason !== 'Error' && state.reason !== 'Completed' ? `the job's pod ${pod!.metadata?.name} was ${state.reason}, exit code ${state.exitCode}${signal}` : `the job's pod ${pod!.metadata?.name} exited with code ${state.exitCode}${signal}`);
  }
  if (failed) parts.push(`the Job failed: ${failed.reason ?? 'Failed'}${failed.message ? ` (${failed.message})` : ''}`);
  if (!parts.length) parts.push(condition(job, 'Complete') ? `the Job ${ref} completed` : `the Job ${ref} ended`);
  return parts.join('; ');
}

function statusOf(e: unknown): number | undefined {
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** One line: the API's own message (`HTTP 409: jobs.batch "x" already exists`) or the network error (ECONNREFUSED). */
function reason(e: unknown): string {
  const status = statusOf(e);
  if (status !== undefined) {
    let body = (e as { body?: unknown }).body;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body);
      } catch {
        // not JSON (a proxy's page): shown as it is
      }
    }
    const message = (body as { message?: string } | undefined)?.message ?? (typeof body === 'string' ? body : '');
    return `HTTP ${status}${message ? `: ${message}` : ''}`.split('\n')[0]!;
  }
  // node-fetch's FetchError carries the system error's code (ECONNREFUSED, ENOTFOUND, ...)
  const err = e as { message?: string; code?: unknown; errno?: unknown } | undefined;
  const code = typeof err?.code === 'string' ? err.code : typeof err?.errno === 'string' ? err.errno : undefined;
  return (code ?? err?.message ?? String(e)).split('\n')[0]!;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((done) => {
    const t = setTimeout(finish, ms);
    function finish() {
      clearTimeout(t);
      signal?.removeEventListener('abort', finish);
      done();
    }
    signal?.addEventListener('abort', finish, { once: true });
  });
}

/** Waits for the log streams to end, stopping any that outlive DRAIN_MS. */
async function drain(streams: Promise<void>[], aborts: AbortController[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((done) => (timer = setTimeout(done, DRAIN_MS)));
  await Promise.race([Promise.all(streams), timeout]);
  clearTimeout(timer);
  for (const a of aborts) a.abort();
}
