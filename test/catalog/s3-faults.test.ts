/**
 * The S3 catalog over a connection that breaks mid-upload: a TCP proxy on loopback, in front of
 * s3rver, that cuts a connection once the client has sent 1 MB on it (the middle of an 8 MiB
 * part). A few cuts: the AWS SDK retries the broken requests and the put succeeds with the right
 * hash. Every connection cut: the put fails with one clear line, and the bucket never holds an
 * object whose recorded sha256 differs from its bytes. Under the CLI, that is a step failure.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { catalogs } from '../../src/catalog/index.js';
import type { S3Catalog } from '../../src/catalog/s3.js';
import { RunnableError } from '../../src/errors.js';
import { startS3, type TestS3 } from '../_s3.js';
import { cli } from '../executors/_emulate.js';
import { parseJsonSummary } from '../examples/_run.js';
import type { RunLog } from '../../src/runlog/types.js';

const CUT_AFTER_BYTES = 1024 * 1024;
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** Forwards loopback connections to `port`; cuts the next `cuts` connections that carry more than CUT_AFTER_BYTES. */
class CuttingProxy {
  cuts = 0;
  cut = 0;
  private server: Server;
  private sockets = new Set<Socket>();
  port = 0;

  constructor(target: number) {
    this.server = createServer((client) => {
      const upstream = connect(target, '127.0.0.1');
      this.sockets.add(client).add(upstream);
      let sent = 0;
      client.on('data', (chunk: Buffer) => {
        sent += chunk.length;
        if (sent > CUT_AFTER_BYTES && this.cuts > 0) {
          this.cuts--;
          this.cut++;
          client.destroy();
          upstream.destroy();
          return;
        }
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => client.write(chunk));
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((done) => this.server.listen(0, '127.0.0.1', done));
    this.port = (this.server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((done) => this.server.close(done));
  }
}

let s3: TestS3;
let proxy: CuttingProxy;
let base: string;
let catalog: S3Catalog;
let prefixes = 0;
const proxied = (bucket: string) => ({ ...s3.config(bucket), endpoint_url: `http://127.0.0.1:${proxy.port}` });

beforeAll(async () => {
  s3 = await startS3(['faults']);
  proxy = new CuttingProxy(s3.port);
  await proxy.start();
});
afterAll(async () => {
  await proxy.close();
  await s3.close();
});
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'rts-s3faults-'));
  catalog = catalogs.create('s3', proxied(`faults/p${++prefixes}`), { cwd: base }) as S3Catalog;
  proxy.cut = 0;
});

/** every object under the prefix has the sha256 of its bytes as metadata */
async function everyObjectMatchesItsHash(prefix: string): Promise<number> {
  const direct = catalogs.create('s3', s3.config('faults'), { cwd: base }) as S3Catalog;
  const [, client] = await direct.bucket.sdk();
  const listed = await client.send(new ListObjectsV2Command({ Bucket: 'faults', Prefix: prefix }));
  for (const o of listed.Contents ?? []) {
    const head = await client.send(new HeadObjectCommand({ Bucket: 'faults', Key: o.Key }));
    const body = await client.send(new GetObjectCommand({ Bucket: 'faults', Key: o.Key }));
    expect(head.Metadata?.sha256, o.Key).toBe(sha(Buffer.from(await body.Body!.transformToByteArray())));
  }
  return listed.Contents?.length ?? 0;
}

describe('s3 catalog through a connection cut mid-upload', () => {
  it('a few cuts: the SDK retries and the file is stored whole, its hash right', async () => {
    const data = randomBytes(20 * 1024 * 1024);
    writeFileSync(join(base, 'big.bin'), data);
    proxy.cuts = 2;
    const [entry] = await catalog.put('run-a', ['big.bin'], base, true);
    expect(proxy.cut).toBe(2);
    expect(entry!.data_hash).toBe(sha(data));
    expect(await everyObjectMatchesItsHash(`p${prefixes}/run-a/`)).toBe(1);
  });

  it('every connection cut: one clear error after the retries, and no object with a wrong hash', async () => {
    writeFileSync(join(base, 'big.bin'), randomBytes(20 * 1024 * 1024));
    writeFileSync(join(base, 'small.bin'), randomBytes(2 * 1024 * 1024));
    proxy.cuts = Number.POSITIVE_INFINITY;
    const error = await catalog.put('run-b', ['*.bin'], base, true).then(
      () => undefined,
      (e: unknown) => e,
    );
    proxy.cuts = 0;
    expect(error).toBeInstanceOf(RunnableError);
    expect((error as RunnableError).message).toMatch(/cannot (upload|write) .*bucket 'faults' at http:\/\/127\.0\.0\.1:\d+/);
    expect((error as RunnableError).message).not.toContain('\n');
    expect(proxy.cut).toBeGreaterThan(2); // retried before giving up
    await everyObjectMatchesItsHash(`p${prefixes}/run-b/`);
    expect((await catalog.list('run-b')).includes('big.bin')).toBe(false);
  });

  it('under the CLI, a put that cannot reach the bucket fails its step with that line, and records no entry', async () => {
    const cwd = join(base, 'work');
    mkdirSync(cwd);
    writeFileSync(
      join(cwd, 'pipeline.yaml'),
      'dag:\n  start_at: make\n  steps:\n    make:\n      type: task\n      command_type: shell\n      command: head -c 12000000 /dev/urandom > big.bin\n      catalog:\n        put: [big.bin]\n      next: success\n',
    );
    const direct = s3.config('faults/cli-runs');
    writeFileSync(
      join(cwd, 'runnable-config.yaml'),
      `run-log-store: {type: s3, config: ${JSON.stringify(direct)}}\ncatalog: {type: s3, config: ${JSON.stringify(proxied('faults/cli-catalog'))}}\n`,
    );
    proxy.cuts = Number.POSITIVE_INFINITY;
    const r = await cli(['execute', 'pipeline.yaml', '--json', '--run-id', 'cut-run'], cwd);
    proxy.cuts = 0;
    expect(r.code, r.stderr.slice(-2000)).toBe(1);
    const log = parseJsonSummary(r.stdout)!.run_log as RunLog;
    const make = log.steps.make!;
    expect(make.status).toBe('FAIL');
    expect(make.attempts[0]!.message).toMatch(/catalog put: cannot upload 'big\.bin'/);
    expect(make.data_catalog).toEqual([]);
    await everyObjectMatchesItsHash('cli-catalog/cut-run/');
  });
});

afterAll(() => rmSync(base, { recursive: true, force: true }));
