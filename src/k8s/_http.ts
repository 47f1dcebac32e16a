/**
 * Credentials and HTTP to a Kubernetes API server, on node:https. Why not
 * `@kubernetes/client-node`: the 2.x first installed loads undici 8, which needs Node ≥ 22.19
 * and fails at import on the Node 20 this package supports (`markAsUncloneable is not a
 * function`). What runnable-ts needs is small (five REST calls and one streamed log), so it is
 * done here, with client-node's types. (1.4, which runs on Node 20, has since replaced 2.x in
 * package.json: moving client.ts onto it would remove this module and add exec-plugin logins.)
 *
 * Credentials, as kubectl finds them: a kubeconfig file (the config's `kubeconfig`, else
 * $KUBECONFIG's first file, else ~/.kube/config), its current (or named) context: server,
 * `certificate-authority(-data)`, `insecure-skip-tls-verify`, `client-certificate(-data)` /
 * `client-key(-data)`, `token` / `tokenFile`, `username`/`password`; else, inside a pod, its
 * service account (KUBERNETES_SERVICE_HOST, /var/run/secrets/kubernetes.io/serviceaccount).
 * Exec and auth-provider plugins (cloud logins) are not run: give a token instead.
 */
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { homedir } from 'node:os';
import { delimiter, dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { RunnableError } from '../errors.js';

const SA = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface Credentials {
  server: string;
  ca?: Buffer;
  insecure?: boolean;
  cert?: Buffer;
  key?: Buffer;
  /** read at each request: a service-account token is rotated */
  token?: () => string;
  basic?: string;
}

type Named<T> = { name: string } & T;
interface Kubeconfig {
  'current-context'?: string;
  clusters?: Named<{ cluster?: Record<string, unknown> }>[];
  users?: Named<{ user?: Record<string, unknown> }>[];
  contexts?: Named<{ context?: { cluster?: string; user?: string } }>[];
}

const FIELD = 'job-executor.config.kubeconfig';
const bad = (message: string, field = FIELD) => new RunnableError('E_CONFIG', message, { field });

/** The credentials to use (see the module's comment); a RunnableError (E_CONFIG) when there are none usable. */
export function loadCredentials(opts: { kubeconfig?: string; context?: string; cwd: string; env: NodeJS.ProcessEnv }): Credentials {
  const fromEnv = opts.env.KUBECONFIG?.split(delimiter).find((f) => f && existsSync(f));
  const file = opts.kubeconfig ? resolve(opts.cwd, opts.kubeconfig) : (fromEnv ?? [resolve(homedir(), '.kube', 'config')].find((f) => existsSync(f)));
  if (!file) {
    if (opts.env.KUBERNETES_SERVICE_HOST && existsSync(`${SA}/token`)) return inCluster(opts.env);
    throw bad('no Kubernetes credentials: give kubeconfig (a kubeconfig file), set KUBECONFIG, or run in a cluster');
  }
  let kc: Kubeconfig;
  try {
    kc = (parse(readFileSync(file, 'utf8')) ?? {}) as Kubeconfig;
  } catch (e) {
    throw bad(`cannot read the kubeconfig ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  const name = opts.context ?? kc['current-context'];
  const ctx = kc.contexts?.find((c) => c.name === name)?.context;
  if (!name || !ctx) throw bad(name ? `no context '${name}' in the kubeconfig ${file}` : `the kubeconfig ${file} names no current-context`, opts.context ? 'job-executor.config.context' : FIELD);
  const cluster = kc.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  if (!cluster || typeof cluster.server !== 'string') throw bad(`the kubeconfig ${file} has no server for cluster '${ctx.cluster}'`);
  const user = kc.users?.find((u) => u.name === ctx.user)?.user ?? {};
  const base = dirname(file);
  const data = (o: Record<string, unknown>, k: string) =>
    typeof o[`${k}-data`] === 'string' ? Buffer.from(o[`${k}-data`] as string, 'base64') : typeof o[k] === 'string' ? readFileSync(resolve(base, o[k] as string)) : undefined;
  if (user.exec || user['auth-provider']) throw bad(`the kubeconfig ${file}: user '${ctx.user}' logs in through a plugin (exec/auth-provider), which runnable-ts does not run: use a token`);
  const token = typeof user.token === 'string' ? user.token : undefined;
  const tokenFile = typeof user.tokenFile === 'string' ? resolve(base, user.tokenFile) : undefined;
  return {
    server: cluster.server.replace(/\/$/, ''),
    ca: data(cluster, 'certificate-authority'),
    insecure: cluster['insecure-skip-tls-verify'] === true,
    cert: data(user, 'client-certificate'),
    key: data(user, 'client-key'),
    token: token !== undefined ? () => token : tokenFile ? () => readFileSync(tokenFile, 'utf8').trim() : undefined,
    basic: typeof user.username === 'string' ? Buffer.from(`${user.username}:${String(user.password ?? '')}`).toString('base64') : undefined,
  };
}

function inCluster(env: NodeJS.ProcessEnv): Credentials {
  const host = env.KUBERNETES_SERVICE_HOST!;
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${env.KUBERNETES_SERVICE_PORT ?? '443'}`,
    ca: readFileSync(`${SA}/ca.crt`),
    token: () => readFileSync(`${SA}/token`, 'utf8').trim(),
  };
}

/** An API error: the HTTP status and the server's `Status.message`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Response {
  status: number;
  body: unknown;
}

/** JSON requests and streamed GETs with the credentials. */
export class ApiTransport {
  constructor(readonly creds: Credentials) {}

  /** One JSON request; a status ≥ 400 is an ApiError with the server's message. */
  async json(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
    const res = await this.send(method, path, body);
    const text = await readAll(res);
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (a proxy's page): its first line is the message
    }
    if ((res.statusCode ?? 0) >= 400) {
      const message = (parsed as { message?: string } | undefined)?.message ?? text.split('\n')[0] ?? '';
      throw new ApiError(res.statusCode!, `HTTP ${res.statusCode}${message ? `: ${message}` : ''}`);
    }
    return parsed;
  }

  /** A GET whose body is streamed to `onChunk` until it ends (or `signal` stops it). */
  async stream(path: string, onChunk: (chunk: Buffer) => void, signal: AbortSignal): Promise<void> {
    const res = await this.send('GET', path, undefined, signal);
    if ((res.statusCode ?? 0) >= 400) {
      const text = await readAll(res);
      throw new ApiError(res.statusCode!, `HTTP ${res.statusCode}: ${text.split('\n')[0]}`);
    }
    await new Promise<void>((done) => {
      res.on('data', onChunk);
      res.on('end', done);
      res.on('error', () => done());
      res.on('close', done);
    });
  }

  private send(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<http.IncomingMessage> {
    const url = new URL(this.creds.server + path);
    const headers: Record<string, string> = { Accept: 'application/json' };
    const token = this.creds.token?.();
    if (token) headers.Authorization = `Bearer ${token}`;
    else if (this.creds.basic) headers.Authorization = `Basic ${this.creds.basic}`;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) {
      headers['Content-Type'] = 'application/json';
      // without a length, node sends no body with a DELETE (its DeleteOptions)
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const secure = url.protocol === 'https:';
    const options: https.RequestOptions = {
      method,
      headers,
      signal,
      ...(secure ? { ca: this.creds.ca, cert: this.creds.cert, key: this.creds.key, rejectUnauthorized: !this.creds.insecure } : {}),
    };
    return new Promise((done, fail) => {
      const req = (secure ? https : http).request(url, options, done);
      req.on('error', fail);
      req.end(payload);
    });
  }
}

function readAll(res: http.IncomingMessage): Promise<string> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
    res.on('error', fail);
  });
}
