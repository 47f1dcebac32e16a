/**
 * TEST CODE: a stand-in for a Kubernetes API server, on loopback. There is no cluster on these
 * machines; this is the strictest substitute we could build for the calls the `k8s-job`
 * executor makes. It implements exactly those endpoints and records every request:
 *
 *   POST   /apis/batch/v1/namespaces/NS/jobs | cronjobs      (body validated with kubernetes-models)
 *   GET    /apis/batch/v1/namespaces/NS/jobs/NAME | cronjobs/NAME
 *   DELETE /apis/batch/v1/namespaces/NS/jobs/NAME             (DeleteOptions body: propagationPolicy)
 *   GET    /api/v1/namespaces/NS/pods?labelSelector=job-name=NAME
 *   GET    /api/v1/namespaces/NS/pods/POD/log?container=C&follow=true
 *
 * Anything else is a 404 and lands in `unexpected`. Requests must carry the kubeconfig's bearer
 * token and JSON. A created Job "runs": its container's command is executed as a real local
 * process (`node` is this node; the working directory is the container's `workingDir`, which
 * the tests point at the project folder, so the PVC mounts at the stores' paths are the folders
 * themselves), its output is the pod log, its exit the pod's terminated state and the Job's
 * Complete / Failed condition (`backoffLimit` honoured: a failed pod is replaced until it is
 * exceeded). Deleting a Job sends SIGTERM to its pods' processes, as the kubelet does; they are
 * listed until they exited. `trigger(cronJob)` starts a Job from a CronJob's template, as the
 * CronJob controller would at its schedule.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAbsolute } from 'node:path';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Job } from 'kubernetes-models/batch/v1/Job';

export const TOKEN = 'stand-in-token';
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SIGNALS: Record<string, number> = { SIGTERM: 15, SIGKILL: 9, SIGINT: 2 };

export interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  body?: any;
}

interface Pod {
  name: string;
  job: string;
  created: string;
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  output: Buffer[];
  listeners: Set<(chunk: Buffer | null) => void>;
  process?: ChildProcess;
  /** deleted with its Job before it ran */
  deleted?: boolean;
  waiting?: { reason: string; message: string };
  terminated?: { exitCode: number; reason: string; signal?: number };
}

interface RunningJob {
  manifest: any;
  pods: Pod[];
  failed: number;
  succeeded: number;
  conditions: { type: string; status: 'True'; reason?: string; message?: string }[];
}

export class ApiServerStandIn {
  readonly requests: Recorded[] = [];
  readonly unexpected: string[] = [];
  readonly deletes: Recorded[] = [];
  readonly jobs = new Map<string, RunningJob>();
  readonly cronJobs = new Map<string, any>();
  /** every Job ever created, by name (deleted ones too) */
  readonly created = new Map<string, any>();
  private readonly server = createServer((req, res) => void this.handle(req, res));
  private readonly allPods: Pod[] = [];

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** A kubeconfig file naming this server and its token (plain HTTP on loopback: client-node wants `insecure-skip-tls-verify` for that). */
  writeKubeconfig(file: string, server = this.url): void {
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: stand-in, cluster: {server: "' + server + '", insecure-skip-tls-verify: true}}]',
        `users: [{name: tester, user: {token: ${TOKEN}}}]`,
        'contexts: [{name: stand-in, context: {cluster: stand-in, user: tester, namespace: runs}}]',
        'current-context: stand-in',
        '',
      ].join('\n'),
    );
  }

  /** Starts a Job from the CronJob's jobTemplate, as the CronJob controller does at a scheduled time. */
  trigger(namespace: string, cronJob: string): string {
    const cron = this.cronJobs.get(`${namespace}/${cronJob}`);
    if (!cron) throw new Error(`no CronJob ${namespace}/${cronJob}`);
    const name = `${cronJob}-${Date.now() % 100000000}`;
    this.runJob(namespace, { apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace, labels: cron.spec.jobTemplate.metadata?.labels }, spec: cron.spec.jobTemplate.spec });
    return name;
  }

  jobDone(namespace: string, name: string): boolean {
    return !!this.jobs.get(`${namespace}/${name}`)?.conditions.length;
  }

  async close(): Promise<void> {
    for (const p of this.allPods) p.process?.kill('SIGKILL');
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const rec: Recorded = { method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams) };
    this.requests.push(rec);
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return status(res, 401, 'Unauthorized', 'the bearer token is missing or wrong');
    if (text) {
      if (req.headers['content-type'] !== 'application/json') return status(res, 415, 'UnsupportedMediaType', `content-type ${req.headers['content-type']}`);
      try {
        rec.body = JSON.parse(text);
      } catch {
        return status(res, 400, 'BadRequest', 'the body is not JSON');
      }
    }
    const m = (re: RegExp) => url.pathname.match(re);
    let g: RegExpMatchArray | null;
    if (req.method === 'POST' && (g = m(/^\/apis\/batch\/v1\/namespaces\/([^/]+)\/(jobs|cronjobs)$/))) return this.create(res, g[1]!, g[2] as 'jobs' | 'cronjobs', rec.body);
    if (req.method === 'GET' && (g = m(/^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs\/([^/]+)$/))) {
      const job = this.jobs.get(`${g[1]}/${g[2]}`);
      return job ? json(res, 200, this.jobObject(job)) : status(res, 404, 'NotFound', `jobs.batch "${g[2]}" not found`);
    }
    if (req.method === 'GET' && (g = m(/^\/apis\/batch\/v1\/namespaces\/([^/]+)\/cronjobs\/([^/]+)$/))) {
      const cron = this.cronJobs.get(`${g[1]}/${g[2]}`);
      return cron ? json(res, 200, cron) : status(res, 404, 'NotFound', `cronjobs.batch "${g[2]}" not found`);
    }
    if (req.method === 'DELETE' && (g = m(/^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs\/([^/]+)$/))) {
      this.deletes.push(rec);
      const key = `${g[1]}/${g[2]}`;
      const job = this.jobs.get(key);
      if (!job) return status(res, 404, 'NotFound', `jobs.batch "${g[2]}" not found`);
      if (rec.body && rec.body.kind !== 'DeleteOptions') return status(res, 400, 'BadRequest', 'the body of a DELETE is DeleteOptions');
      this.jobs.delete(key);
      // Background propagation: the garbage collector deletes the pods; the kubelet stops them with SIGTERM
      for (const p of job.pods) {
        if (p.process) p.process.kill('SIGTERM');
        else p.deleted = true;
      }
      return json(res, 200, { kind: 'Status', apiVersion: 'v1', status: 'Success' });
    }
    if (req.method === 'GET' && (g = m(/^\/api\/v1\/namespaces\/([^/]+)\/pods$/))) {
      const selector = url.searchParams.get('labelSelector') ?? '';
      const sel = selector.match(/^job-name=([a-z0-9-]+)$/);
      if (!sel) return status(res, 400, 'BadRequest', `unsupported labelSelector '${selector}'`);
      const items = this.allPods.filter((p) => p.job === `${g![1]}/${sel[1]}` && !p.deleted && (this.jobs.has(p.job) || p.phase === 'Running' || p.phase === 'Pending')).map((p) => podObject(g![1]!, p));
      return json(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: {}, items });
    }
    if (req.method === 'GET' && (g = m(/^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/))) return this.log(res, g[1]!, g[2]!, url.searchParams);
    this.unexpected.push(`${req.method} ${url.pathname}${url.search}`);
    return status(res, 404, 'NotFound', `the stand-in does not serve ${req.method} ${url.pathname}`);
  }

  private create(res: ServerResponse, namespace: string, plural: 'jobs' | 'cronjobs', body: any): void {
    const problem = checkObject(namespace, plural, body);
    if (problem) return status(res, 422, 'Invalid', problem);
    const key = `${namespace}/${body.metadata.name}`;
    if (plural === 'cronjobs') {
      if (this.cronJobs.has(key)) return status(res, 409, 'AlreadyExists', `cronjobs.batch "${body.metadata.name}" already exists`);
      this.cronJobs.set(key, body);
      return json(res, 201, body);
    }
    if (this.jobs.has(key)) return status(res, 409, 'AlreadyExists', `jobs.batch "${body.metadata.name}" already exists`);
    this.runJob(namespace, body);
    return json(res, 201, this.jobObject(this.jobs.get(key)!));
  }

  private runJob(namespace: string, manifest: any): void {
    const key = `${namespace}/${manifest.metadata.name}`;
    const job: RunningJob = { manifest, pods: [], failed: 0, succeeded: 0, conditions: [] };
    this.jobs.set(key, job);
    this.created.set(manifest.metadata.name, manifest);
    this.startPod(key, job);
  }

  private startPod(key: string, job: RunningJob): void {
    const pod: Pod = { name: `${job.manifest.metadata.name}-${randomBytes(3).toString('hex').slice(0, 5)}`, job: key, created: new Date().toISOString(), phase: 'Pending', output: [], listeners: new Set() };
    job.pods.push(pod);
    this.allPods.push(pod);
    const c = job.manifest.spec.template.spec.containers[0];
    // an image no registry has: the kubelet retries the pull, the pod stays Pending
    if (String(c.image).includes('does-not-exist')) {
      pod.waiting = { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}"` };
      return;
    }
    const env: NodeJS.ProcessEnv = { ...this.env };
    for (const e of c.env ?? []) env[e.name] = e.value;
    const [cmd, ...args] = [...(c.command ?? []), ...(c.args ?? [])];
    // the image's `node` is this machine's node
    const child = spawn(cmd === 'node' ? process.execPath : cmd, args, { cwd: c.workingDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    pod.process = child;
    pod.phase = 'Running';
    const emit = (chunk: Buffer) => {
      pod.output.push(chunk);
      for (const l of pod.listeners) l(chunk);
    };
    child.stdout!.on('data', emit);
    child.stderr!.on('data', emit);
    child.on('error', (e) => emit(Buffer.from(`stand-in: cannot start ${cmd}: ${e.message}\n`)));
    child.on('close', (code, signal) => {
      const exitCode = code ?? 128 + (SIGNALS[signal ?? ''] ?? 1);
      pod.terminated = { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', ...(signal ? { signal: SIGNALS[signal] } : {}) };
      pod.phase = exitCode === 0 ? 'Succeeded' : 'Failed';
      for (const l of pod.listeners) l(null);
      if (!this.jobs.has(key)) return; // deleted: the pod is gone with it
      if (exitCode === 0) {
        job.succeeded++;
        job.conditions.push({ type: 'Complete', status: 'True' });
      } else if (++job.failed > (job.manifest.spec.backoffLimit ?? 6)) {
        job.conditions.push({ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
      } else {
        this.startPod(key, job);
      }
    });
  }

  private log(res: ServerResponse, namespace: string, podName: string, q: URLSearchParams): void {
    const pod = this.allPods.find((p) => p.name === podName && p.job.startsWith(`${namespace}/`));
    if (!pod) return status(res, 404, 'NotFound', `pods "${podName}" not found`);
    const job = this.created.get(pod.job.slice(namespace.length + 1));
    const container = job?.spec.template.spec.containers[0].name;
    if (q.get('container') !== container) return status(res, 400, 'BadRequest', `container ${q.get('container')} is not valid for pod ${podName}`);
    if (pod.phase === 'Pending') return status(res, 400, 'BadRequest', `container "${container}" in pod "${podName}" is waiting to start`);
    res.writeHead(200, { 'content-type': 'text/plain' });
    for (const c of pod.output) res.write(c);
    if (q.get('follow') !== 'true' || pod.terminated) return void res.end();
    const listener = (chunk: Buffer | null) => (chunk ? res.write(chunk) : (pod.listeners.delete(listener), res.end()));
    pod.listeners.add(listener);
    res.on('close', () => pod.listeners.delete(listener));
  }

  private jobObject(job: RunningJob) {
    const active = job.pods.filter((p) => p.phase === 'Running' || p.phase === 'Pending').length;
    return { ...job.manifest, status: { active, succeeded: job.succeeded, failed: job.failed, ...(job.conditions.length ? { conditions: job.conditions } : {}) } };
  }
}

function podObject(namespace: string, p: Pod) {
  const jobName = p.job.slice(namespace.length + 1);
  const state = p.terminated ? { terminated: p.terminated } : p.phase === 'Running' ? { running: { startedAt: p.created } } : { waiting: p.waiting ?? { reason: 'ContainerCreating' } };
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: { name: p.name, namespace, creationTimestamp: p.created, labels: { 'job-name': jobName, 'batch.kubernetes.io/job-name': jobName } },
    status: { phase: p.phase, containerStatuses: [{ name: 'job', ready: p.phase === 'Running', restartCount: 0, image: 'img', imageID: `docker-pullable://img@sha256:${'ab'.repeat(32)}`, state }] },
  };
}

/** What the API server would refuse in a created Job / CronJob (validation as strict as we can make it). */
function checkObject(namespace: string, plural: 'jobs' | 'cronjobs', body: any): string | undefined {
  const kind = plural === 'jobs' ? 'Job' : 'CronJob';
  if (body?.apiVersion !== 'batch/v1' || body?.kind !== kind) return `expected apiVersion batch/v1, kind ${kind}`;
  try {
    (plural === 'jobs' ? new Job(body) : new CronJob(body)).validate();
  } catch (e) {
    return `schema: ${(e as Error).message}`;
  }
  const name = body.metadata?.name;
  if (typeof name !== 'string' || !NAME.test(name) || name.length > 63) return `metadata.name: Invalid value: "${name}"`;
  if (body.metadata.namespace && body.metadata.namespace !== namespace) return 'metadata.namespace does not match the request';
  const spec = plural === 'jobs' ? body.spec : body.spec.jobTemplate?.spec;
  if (plural === 'cronjobs' && !/^(\S+\s+){4}\S+$|^@\w+$/.test(body.spec.schedule)) return `spec.schedule: Invalid value: "${body.spec.schedule}"`;
  const pod = spec?.template?.spec;
  if (!['Never', 'OnFailure'].includes(pod?.restartPolicy)) return 'spec.template.spec.restartPolicy: Required value: Never or OnFailure for a Job';
  if (pod.containers.length !== 1) return 'the stand-in runs one container per pod';
  const c = pod.containers[0];
  if (!c.command?.length) return 'containers[0].command: the stand-in runs the command (the image has no entrypoint)';
  if (c.workingDir && !isAbsolute(c.workingDir)) return 'containers[0].workingDir must be absolute';
  const volumes = new Set((pod.volumes ?? []).map((v: any) => v.name));
  for (const vm of c.volumeMounts ?? []) {
    if (!volumes.has(vm.name)) return `containers[0].volumeMounts: Not found: "${vm.name}"`;
    if (!isAbsolute(vm.mountPath)) return `containers[0].volumeMounts.mountPath must be absolute: ${vm.mountPath}`;
  }
  for (const e of c.env ?? []) if (e.value === undefined) return `the stand-in has no secrets: env ${e.name} needs a value`;
  return undefined;
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  json(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}
