/**
 * One S3 bucket (and key prefix) as the S3-backed stores use it: small objects read and written
 * whole, listings, deletes, copies, and the check that runs before any step (the bucket exists,
 * the credentials are accepted, the endpoint answers). Errors become one-line RunnableErrors that
 * name the bucket and what was asked, never a credential.
 *
 * The client is the AWS SDK's: credentials given in the config are used as static credentials,
 * otherwise the SDK's default provider chain finds them. With an `endpoint_url` (MinIO, Ceph,
 * s3rver...) path-style addressing is the default and the SDK's optional request checksums are
 * only sent where S3 requires them, since S3-compatible servers often do not know the newer
 * (CRC32, aws-chunked) ones.
 *
 * The SDK (a few MB of modules) is loaded on the first request, not with this module: every
 * command and step process of a run on local stores would otherwise pay for it at start.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { RunnableError } from '../errors.js';
import { splitBucket, type S3ConnectionConfig } from './config.js';

/**
 * The SDK warns on stderr, once per process, that its releases from 2027 need Node >= 22. It is
 * news for whoever upgrades the SDK, not for users of runnable-ts, whose supported Node is in
 * package.json. `AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true` is the SDK's documented
 * switch; it is set (when the user has not set it) before the first client is made.
 */
function silenceNodeVersionWarning(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

type Sdk = typeof import('@aws-sdk/client-s3');
let sdkModules: Promise<[Sdk, typeof import('@smithy/node-http-handler')]> | undefined;
const loadSdk = () => (sdkModules ??= Promise.all([import('@aws-sdk/client-s3'), import('@smithy/node-http-handler')]));

export interface ObjectInfo {
  key: string;
  etag: string;
  size: number;
  lastModified: number;
}

export interface ObjectBody {
  body: Buffer;
  etag: string;
  metadata: Record<string, string>;
}

/** How long to wait for a TCP connection: an unreachable endpoint fails in seconds, not minutes. */
const CONNECT_TIMEOUT_MS = 5000;
/** Objects per DeleteObjects request (S3's limit). */
const DELETE_BATCH = 1000;

export class Bucket {
  readonly name: string;
  /** '' or ending in '/' */
  readonly prefix: string;
  /** `s3://bucket/prefix` (no trailing slash), for messages and `catalog_handler_location` */
  readonly url: string;
  private readonly endpoint: string;
  private verified?: Promise<void>;
  private readonly options: S3ClientConfig;
  private made?: Promise<[Sdk, S3Client]>;
  private madeClient?: S3Client;

  /** `hint`: a sentence added to the error when the bucket cannot be used (./config.ts `aliasHint`) */
  constructor(
    config: S3ConnectionConfig,
    private readonly hint?: string,
  ) {
    silenceNodeVersionWarning();
    const place = splitBucket(config.bucket);
    this.name = place.bucket;
    this.prefix = place.prefix;
    this.url = `s3://${place.bucket}${place.prefix ? `/${place.prefix.slice(0, -1)}` : ''}`;
    this.endpoint = config.endpoint_url ?? 'AWS S3';
    const custom = config.endpoint_url !== undefined;
    this.options = {
      forcePathStyle: config.force_path_style ?? custom,
      ...(custom ? { endpoint: config.endpoint_url, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
      // an S3-compatible server ignores the region, but the SDK signs with one
      ...(config.region ? { region: config.region } : custom ? { region: process.env.AWS_REGION ?? 'us-east-1' } : {}),
      ...(config.aws_access_key_id ? { credentials: { accessKeyId: config.aws_access_key_id, secretAccessKey: config.aws_secret_access_key! } } : {}),
    };
  }

  /** the SDK and this bucket's client, made on the first request */
  sdk(): Promise<[Sdk, S3Client]> {
    this.made ??= loadSdk().then(([m, http]) => {
      this.madeClient = new m.S3Client({ ...this.options, requestHandler: new http.NodeHttpHandler({ connectionTimeout: CONNECT_TIMEOUT_MS }) });
      return [m, this.madeClient];
    });
    return this.made;
  }

  /** the full key of a key relative to the prefix */
  key(rel: string): string {
    return this.prefix + rel;
  }

  /**
   * The bucket exists and these credentials may use it (HeadBucket), once per instance. Every
   * failure is an exit-2 config error naming the bucket and the endpoint.
   */
  verify(field: string): Promise<void> {
    this.verified ??= this.sdk().then(([m, client]) => client.send(new m.HeadBucketCommand({ Bucket: this.name }))).then(
      () => undefined,
      (e: unknown) => {
        this.verified = undefined;
        throw new RunnableError('E_CONFIG', `${this.describe(e, 'cannot use')}${this.hint ? ` (${this.hint})` : ''}`, { field });
      },
    );
    return this.verified;
  }

  async get(key: string): Promise<ObjectBody | undefined> {
    try {
      const [m, client] = await this.sdk();
      const r = await client.send(new m.GetObjectCommand({ Bucket: this.name, Key: key }));
      const body = Buffer.from(await r.Body!.transformToByteArray());
      return { body, etag: r.ETag ?? '', metadata: r.Metadata ?? {} };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw this.fail(e, `cannot read ${key} from`);
    }
  }

  /** the object's body as a stream, and its metadata; undefined when absent */
  async stream(key: string): Promise<{ body: Readable; metadata: Record<string, string>; size: number } | undefined> {
    try {
      const [m, client] = await this.sdk();
      const r = await client.send(new m.GetObjectCommand({ Bucket: this.name, Key: key }));
      return { body: r.Body as Readable, metadata: r.Metadata ?? {}, size: r.ContentLength ?? 0 };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw this.fail(e, `cannot read ${key} from`);
    }
  }

  async head(key: string): Promise<{ etag: string; size: number; metadata: Record<string, string> } | undefined> {
    try {
      const [m, client] = await this.sdk();
      const r = await client.send(new m.HeadObjectCommand({ Bucket: this.name, Key: key }));
      return { etag: r.ETag ?? '', size: r.ContentLength ?? 0, metadata: r.Metadata ?? {} };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw this.fail(e, `cannot read ${key} from`);
    }
  }

  /**
   * Writes one whole object (a PUT replaces an object atomically: readers see the old one or the
   * new one). Content-MD5 lets the server refuse a body damaged in transit. Returns the ETag.
   */
  async put(key: string, body: Buffer | string, metadata?: Record<string, string>): Promise<string> {
    return (await this.send(key, body, metadata, false))!;
  }

  /**
   * Creates the object only if there is none (a conditional PUT, `If-None-Match: *`): the ETag,
   * or undefined when the key exists (412) or a concurrent conditional write of it won (409).
   * S3 has honoured the condition since 2024, as do MinIO, Ceph RGW and R2; a server that
   * ignores it overwrites, so callers that need one winner read the object back (`_s3-lease.ts`).
   */
  putIfAbsent(key: string, body: Buffer | string, metadata?: Record<string, string>): Promise<string | undefined> {
    return this.send(key, body, metadata, true);
  }

  private async send(key: string, body: Buffer | string, metadata: Record<string, string> | undefined, ifAbsent: boolean): Promise<string | undefined> {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    try {
      const [m, client] = await this.sdk();
      const r = await client.send(
        new m.PutObjectCommand({
          Bucket: this.name,
          Key: key,
          Body: bytes,
          ContentMD5: createHash('md5').update(bytes).digest('base64'),
          ...(metadata ? { Metadata: metadata } : {}),
          ...(ifAbsent ? { IfNoneMatch: '*' } : {}),
        }),
      );
      return r.ETag ?? '';
    } catch (e) {
      if (ifAbsent && isConditionFailed(e)) return undefined;
      throw this.fail(e, `cannot write ${key} to`);
    }
  }

  /** every object whose key starts with `prefix` (after `startAfter`, when given), in key order */
  async *list(prefix: string, startAfter?: string): AsyncGenerator<ObjectInfo> {
    let token: string | undefined;
    do {
      let page;
      try {
        const [m, client] = await this.sdk();
        page = await client.send(
          new m.ListObjectsV2Command({ Bucket: this.name, Prefix: prefix, ContinuationToken: token, ...(startAfter && !token ? { StartAfter: startAfter } : {}) }),
        );
      } catch (e) {
        throw this.fail(e, `cannot list ${prefix || '/'} in`);
      }
      for (const o of page.Contents ?? []) {
        yield { key: o.Key!, etag: o.ETag ?? '', size: o.Size ?? 0, lastModified: o.LastModified?.getTime() ?? 0 };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async listAll(prefix: string, startAfter?: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    for await (const o of this.list(prefix, startAfter)) out.push(o);
    return out;
  }

  async delete(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      try {
        const [m, client] = await this.sdk();
        await client.send(new m.DeleteObjectsCommand({ Bucket: this.name, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
      } catch (e) {
        throw this.fail(e, `cannot delete ${batch.length} object(s) from`);
      }
    }
  }

  /** a server-side copy (the bytes never pass through this process; metadata goes with them); false when there is no `fromKey` */
  async copy(fromKey: string, toKey: string): Promise<boolean> {
    if (fromKey === toKey) return !!(await this.head(fromKey)); // S3 refuses a copy onto itself
    try {
      const [m, client] = await this.sdk();
      await client.send(new m.CopyObjectCommand({ Bucket: this.name, Key: toKey, CopySource: `${this.name}/${encodeURIComponent(fromKey).replace(/%2F/g, '/')}` }));
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw this.fail(e, `cannot copy ${fromKey} to ${toKey} in`);
    }
  }

  /** a one-line RunnableError for a failed request (what was asked, of which bucket at which endpoint, and why) */
  fail(e: unknown, doing: string): RunnableError {
    return new RunnableError('E_STORE', this.describe(e, doing));
  }

  private describe(e: unknown, doing: string): string {
    return `${doing} bucket '${this.name}' at ${this.endpoint}: ${reason(e, this.name)}`;
  }

  destroy(): void {
    this.madeClient?.destroy();
  }
}

const isConditionFailed = (e: unknown): boolean => {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = err.$metadata?.httpStatusCode;
  return err.name === 'PreconditionFailed' || err.name === 'ConditionalRequestConflict' || status === 412 || status === 409;
};

const isNotFound = (e: unknown): boolean => {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata?.httpStatusCode === 404;
};

/** why a request failed, in words a user can act on (the SDK's own message is often 'UnknownError') */
function reason(e: unknown, bucket: string): string {
  const err = e as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = err.$metadata?.httpStatusCode;
  const name = err.name ?? '';
  if (name === 'NoSuchBucket' || (status === 404 && (name === 'NotFound' || name === 'NoSuchBucket'))) return `the bucket '${bucket}' does not exist`;
  if (status === 403 || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch' || name === 'AccessDenied') {
    return `access denied (${name || 'HTTP 403'}): check the credentials (aws_access_key_id / aws_secret_access_key, or the standard AWS chain) and the bucket's permissions`;
  }
  if (name === 'CredentialsProviderError') return 'no AWS credentials found: set aws_access_key_id and aws_secret_access_key, or configure the standard AWS chain (AWS_ACCESS_KEY_ID, a profile, ...)';
  const code = err.code ?? '';
  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code) || name === 'TimeoutError') {
    return `the endpoint cannot be reached (${code || name})`;
  }
  if (/region/i.test(err.message ?? '') && /missing/i.test(err.message ?? '')) return "no region: set 'region' in the config or AWS_REGION";
  const message = (err.message ?? String(e)).split('\n')[0];
  return status ? `${name || 'error'} (HTTP ${status}): ${message}` : `${name ? `${name}: ` : ''}${message}`;
}
