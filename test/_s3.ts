/**
 * A real S3-compatible server for tests: s3rver (in this process, on a loopback port chosen by
 * the OS, its objects in a temporary folder). Never a mock of the client: the stores talk HTTP
 * to it through the AWS SDK exactly as they would to AWS or MinIO.
 *
 * s3rver knows one access key id (`S3RVER`) and refuses any other (InvalidAccessKeyId, 403), so a
 * wrong key id fails as on a real server; it does not check v4 signatures, so a wrong secret alone
 * is not caught by it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  configureBuckets(): Promise<void>;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as S3rverClass;

/**
 * s3rver 3.7 writes an object in place and answers the PUT before the bytes are on disk, so a
 * reader can see half an object and two PUTs of one key can interleave. S3 (and MinIO) replace
 * an object atomically, and the stores rely on that, so the stand-in is made as strict: the body
 * goes to a temporary file (a name s3rver's listings skip), its metadata is written, and then it
 * is renamed into place, all before the PUT is answered.
 */
function makeAtomic(): void {
  interface StoreObject { bucket: string; key: string; content: Buffer | NodeJS.ReadableStream; metadata: Record<string, string> }
  interface Store {
    getResourcePath(bucket: string, key: string, resource: string): string;
    putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5: string): Promise<void>;
    putObject(object: StoreObject): Promise<{ size: number; md5: string }>;
  }
  const FilesystemStore = require('s3rver/lib/stores/filesystem') as { prototype: Store & { __atomic?: true } };
  if (FilesystemStore.prototype.__atomic) return;
  FilesystemStore.prototype.__atomic = true;
  FilesystemStore.prototype.putObject = async function (this: Store, object: StoreObject) {
    const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
    await mkdir(dirname(objectPath), { recursive: true });
    const tmp = `${objectPath}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const md5 = createHash('md5');
    let size = 0;
    const source = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : (object.content as NodeJS.ReadableStream);
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        md5.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(source, count, createWriteStream(tmp));
      const digest = md5.digest('hex');
      await this.putMetadata(object.bucket, object.key, object.metadata, digest);
      await rename(tmp, objectPath);
      return { size, md5: digest };
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  };
}
makeAtomic();

/**
 * S3 has honoured conditional writes (`If-None-Match: *` on PutObject: 412 PreconditionFailed
 * when the key exists) since 2024, as MinIO, Ceph RGW and R2 do; s3rver 3.7 predates them and
 * ignores the header. The stores create runs and lease entries that way, so the stand-in does it
 * as S3 does: PUTs of one key take turns, and a conditional one of an existing key is refused.
 */
function honourConditionalWrites(): void {
  interface Ctx { headers: Record<string, string | undefined>; params: { bucket: string; key: string }; store: { existsObject(bucket: string, key: string): Promise<boolean> } }
  const controller = require('s3rver/lib/controllers/object') as { putObject: (ctx: Ctx) => Promise<void>; __conditional?: true };
  const S3Error = require('s3rver/lib/models/error') as new (code: string, message: string) => Error;
  if (controller.__conditional) return;
  controller.__conditional = true;
  const plain = controller.putObject;
  const turns = new Map<string, Promise<unknown>>();
  controller.putObject = (ctx: Ctx) => {
    const id = `${ctx.params.bucket}/${ctx.params.key}`;
    const run = async () => {
      if (ctx.headers['if-none-match'] === '*' && (await ctx.store.existsObject(ctx.params.bucket, ctx.params.key))) {
        throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
      }
      await plain(ctx);
    };
    const next = (turns.get(id) ?? Promise.resolve()).then(run, run);
    const settled = next.catch(() => undefined);
    turns.set(id, settled);
    void settled.then(() => turns.get(id) === settled && turns.delete(id));
    return next;
  };
}
honourConditionalWrites();

export const S3_ACCESS_KEY = 'S3RVER';
export const S3_SECRET_KEY = 'S3RVER';

export interface TestS3 {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  port: number;
  /** creates a bucket (names are at least 3 characters, lowercase) */
  createBucket(name: string): Promise<void>;
  /** the store/catalog config for `bucket` (may carry a prefix: `bucket/prefix`) */
  config(bucket: string): Record<string, unknown>;
  /** environment for a child process whose config reads the credentials as `${AWS_...}` */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startS3(buckets: string[] = []): Promise<TestS3> {
  const dir = mkdtempSync(join(tmpdir(), 's3rver-'));
  let server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: buckets.map((name) => ({ name })) });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const config = (bucket: string) => ({
    bucket,
    endpoint_url: endpoint,
    region: 'us-east-1',
    force_path_style: true,
    aws_access_key_id: S3_ACCESS_KEY,
    aws_secret_access_key: S3_SECRET_KEY,
  });
  return {
    endpoint,
    port: address.port,
    config,
    env: { AWS_ACCESS_KEY_ID: S3_ACCESS_KEY, AWS_SECRET_ACCESS_KEY: S3_SECRET_KEY, AWS_REGION: 'us-east-1' },
    async createBucket(name: string) {
      const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
      const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: S3_ACCESS_KEY, secretAccessKey: S3_SECRET_KEY } });
      try {
        await client.send(new CreateBucketCommand({ Bucket: name }));
      } finally {
        client.destroy();
      }
    },
    async close() {
      await server.close();
      server = undefined as never;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One server shared by the members' fixtures of a test file (test/runlog/_members.ts,
 * test/catalog/_members.ts): started by the first suite's setup, closed after the last suite's
 * teardown. Each fixture instance gets a prefix of its own (from its fresh test folder's name).
 */
let shared: Promise<TestS3> | undefined;
let sharedUsers = 0;
let sharedServer: TestS3 | undefined;
export const SHARED_BUCKET = 'members';

export const sharedS3 = {
  async setup(): Promise<void> {
    sharedUsers++;
    shared ??= startS3([SHARED_BUCKET]);
    sharedServer = await shared;
  },
  async teardown(): Promise<void> {
    if (--sharedUsers > 0 || !shared) return;
    const server = await shared;
    shared = undefined;
    sharedServer = undefined;
    await server.close();
  },
  /** every key under the prefix of `config(dir, what)`, relative to it: what a store or catalog left in the bucket */
  async keys(dir: string, what: string): Promise<string[]> {
    const { Bucket } = await import('../src/s3/bucket.js');
    const bucket = new Bucket(this.config(dir, what) as never);
    try {
      return (await bucket.listAll(bucket.prefix)).map((o) => o.key.slice(bucket.prefix.length)).sort();
    } finally {
      bucket.destroy();
    }
  },
  /** the store/catalog config under a prefix named after `dir` */
  config(dir: string, what: string): Record<string, unknown> {
    if (!sharedServer) throw new Error('sharedS3.setup() has not run');
    const name = dir.split(/[\\/]/).filter(Boolean).pop()!.toLowerCase().replace(/[^a-z0-9-]/g, '-');
    return sharedServer.config(`${SHARED_BUCKET}/${what}-${name}`);
  },
};
