/**
 * The `s3` catalog against a real S3-compatible server (s3rver on loopback, test/_s3.ts): the
 * file-system catalog's semantics (the same globs select the same files, the same entries, the
 * same confinement), hashes kept as object metadata, streaming multipart transfers, and the
 * access check that runs before any step.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { catalogs } from '../../src/catalog/index.js';
import type { S3Catalog } from '../../src/catalog/s3.js';
import type { CatalogStore } from '../../src/catalog/types.js';
import { RunnableError } from '../../src/errors.js';
import { startS3, type TestS3 } from '../_s3.js';

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const RUN = 'brave-curie-120000-abc123';

let s3: TestS3;
let base: string;
let cwd: string;
let cat: S3Catalog;
let prefixes = 0;

async function write(root: string, rel: string, data: string | Buffer): Promise<void> {
  await mkdir(dirname(join(root, rel)), { recursive: true });
  await writeFile(join(root, rel), data);
}

async function rejects(p: Promise<unknown>, code: string, match: RegExp): Promise<RunnableError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(RunnableError);
  expect((e as RunnableError).code).toBe(code);
  expect((e as RunnableError).message).toMatch(match);
  return e as RunnableError;
}

beforeAll(async () => {
  s3 = await startS3(['catalog-test']);
});
afterAll(() => s3.close());
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'rts-s3cat-'));
  cwd = join(base, 'work');
  await mkdir(cwd);
  cat = catalogs.create('s3', s3.config(`catalog-test/p${++prefixes}`), { cwd }) as S3Catalog;
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

const head = async (key: string) => (await cat.bucket.sdk())[1].send(new HeadObjectCommand({ Bucket: 'catalog-test', Key: key }));

describe('s3 catalog', () => {
  it('takes runnable\'s minio keys, a bucket with a prefix, and the alias minio; bad config is one clear field error', () => {
    expect(cat.type).toBe('s3');
    expect(cat.remote).toBe(true);
    expect(cat.location(RUN)).toBe(`s3://catalog-test/p${prefixes}/${RUN}`);
    const alias = catalogs.create('minio', { bucket: 'catalog-test', endpoint_url: s3.endpoint }, { cwd });
    expect(alias.type).toBe('minio');
    expect(alias.location(RUN)).toBe(`s3://catalog-test/${RUN}`);
    expect(() => catalogs.create('s3', {}, { cwd })).toThrow(/'bucket' is required/);
    try {
      catalogs.create('s3', {}, { cwd });
    } catch (e) {
      expect((e as RunnableError).where.field).toBe('catalog.config.bucket');
    }
    expect(() => catalogs.create('s3', { bucket: 'x' }, { cwd })).toThrow(/bucket name/);
    expect(() => catalogs.create('s3', { bucket: 'ok-bucket', aws_access_key_id: 'only-one' }, { cwd })).toThrow(/give both/);
    expect(() => catalogs.create('s3', { bucket: 'ok-bucket', endpoint: 'http://x' }, { cwd })).toThrow(/unknown field\(s\) 'endpoint'/);
  });

  it('stores each file at BUCKET/PREFIX/RUN_ID/<path> with its sha256 as object metadata, the bucket as handler location', async () => {
    await write(cwd, 'model/weights.bin', Buffer.from([0, 1, 2, 255]));
    const [entry] = await cat.put(RUN, ['model'], cwd, true);
    expect(entry).toEqual({
      name: 'model/weights.bin',
      data_hash: sha(Buffer.from([0, 1, 2, 255])),
      catalog_relative_path: `${RUN}/model/weights.bin`,
      catalog_handler_location: `s3://catalog-test/p${prefixes}`,
      stage: 'put',
    });
    expect((await head(`p${prefixes}/${RUN}/model/weights.bin`)).Metadata).toEqual({ sha256: entry!.data_hash });
  });

  it('selects exactly the files the file-system catalog selects, for the same globs', async () => {
    const files = ['a.csv', 'b.txt', '.hidden', 'dir/x.csv', 'dir/.dot/y.csv', 'dir/sub/z.json', 'node_modules/m.js', 'other/dir/w.csv', 'run.execution.log'];
    for (const f of files) await write(cwd, f, f);
    const fs: CatalogStore = catalogs.create('file-system', { catalog_location: join(base, 'fs-catalog') }, { cwd });
    const patterns = [['**'], ['*.csv'], ['dir'], ['dir/'], ['**/*.csv'], ['dir/**', 'a.csv'], ['{a,b}.*'], ['dir/*/*.json'], ['./dir/../a.csv']];
    for (const globs of patterns) {
      const [p1, p2] = [await fs.put(RUN, globs, cwd, true), await cat.put(RUN, globs, cwd, true)];
      expect(p2.map((e) => e.name), `put ${globs}`).toEqual(p1.map((e) => e.name));
    }
    for (const globs of patterns) {
      const [g1, g2] = [await fs.get(RUN, globs, join(base, 'g1')), await cat.get(RUN, globs, join(base, 'g2'))];
      expect(g2.map((e) => [e.name, e.data_hash]), `get ${globs}`).toEqual(g1.map((e) => [e.name, e.data_hash]));
    }
    // runnable does not get task logs back; list shows every file of the run
    expect((await cat.get(RUN, ['**'], join(base, 'g3'))).map((e) => e.name)).not.toContain('run.execution.log');
    expect(await cat.list(RUN)).toEqual(await fs.list(RUN));
  });

  it('fails a put glob that matches nothing; store_copy false records the hash and stores nothing', async () => {
    await rejects(cat.put(RUN, ['missing/*.csv'], cwd, true), 'E_CATALOG', /no file matches 'missing\/\*\.csv'/);
    await write(cwd, 'big.bin', 'data');
    const [entry] = await cat.put(RUN, ['big.bin'], cwd, false);
    expect(entry!.data_hash).toBe(sha('data'));
    expect(await cat.list(RUN)).toEqual([]);
  });

  it('confines local paths: absolute and climbing patterns, symlinks out of the working directory', async () => {
    await rejects(cat.put(RUN, ['/etc/passwd'], cwd, true), 'E_CATALOG', /absolute path/);
    await rejects(cat.put(RUN, ['../x'], cwd, true), 'E_CATALOG', /leaves the working directory/);
    await rejects(cat.get(RUN, ['../../x'], cwd), 'E_CATALOG', /leaves the run's catalog folder/);
    const outside = join(base, 'outside');
    await write(outside, 'secret.txt', 'secret');
    await symlink(join(outside, 'secret.txt'), join(cwd, 'link.txt'));
    await rejects(cat.put(RUN, ['link.txt'], cwd, true), 'E_CATALOG', /outside the working directory/);
    expect(await cat.list(RUN)).toEqual([]);
    // get: a folder of the working directory that is a symlink to outside is refused, nothing written
    await cat.writeFile(RUN, 'data/a.csv', 'a');
    await symlink(outside, join(cwd, 'data'));
    await rejects(cat.get(RUN, ['data/*'], cwd), 'E_CATALOG', /outside the working directory/);
    expect(existsSync(join(outside, 'a.csv'))).toBe(false);
  });

  it('writes and reads catalog files (task logs under .logs/, object parameters); a missing one is a clear error', async () => {
    await cat.writeFile(RUN, '.logs/train.execution.log', 'hello\n');
    await cat.writeFile(RUN, '.objects/model.json', Buffer.from('{"w":1}'));
    expect((await cat.readFile(RUN, '.objects/model.json')).toString()).toBe('{"w":1}');
    expect(await cat.list(RUN)).toEqual(['.logs/train.execution.log', '.objects/model.json']);
    await rejects(cat.readFile(RUN, 'nope.bin'), 'E_CATALOG', new RegExp(`no file 'nope.bin' in run '${RUN}'`));
    await rejects(cat.writeFile(RUN, '../escape', 'x'), 'E_CATALOG', /leaves/);
    expect((await cat.get(RUN, ['**'], cwd)).map((e) => e.name)).toEqual([]);
  });

  it('hashes: the sha256 recorded with each object, without downloading; copyBetweenRuns: server side, metadata kept', async () => {
    await write(cwd, 'data/a.csv', 'a');
    await write(cwd, 'data/b.csv', 'bb');
    await cat.put(RUN, ['data'], cwd, true);
    expect(await cat.hashes(RUN, ['data/*.csv'])).toEqual({ 'data/a.csv': sha('a'), 'data/b.csv': sha('bb') });
    expect(await cat.hashes(RUN, [])).toEqual({});
    await cat.copyBetweenRuns(RUN, 'later-run', 'data/b.csv');
    expect(await cat.list('later-run')).toEqual(['data/b.csv']);
    expect(await cat.hashes('later-run', ['**'])).toEqual({ 'data/b.csv': sha('bb') });
    // an object put by something else (no metadata) is hashed from its bytes
    await (await cat.bucket.sdk())[1].send(new PutObjectCommand({ Bucket: 'catalog-test', Key: `p${prefixes}/${RUN}/data/c.csv`, Body: 'ccc' }));
    expect((await cat.hashes(RUN, ['data/c.csv']))['data/c.csv']).toBe(sha('ccc'));
  });

  it('streams a 40 MB file through a multipart upload and back, hash checked', async () => {
    const big = randomBytes(40 * 1024 * 1024);
    await write(cwd, 'big/blob.bin', big);
    // the requests the catalog's client sends, observed (not replaced) by a middleware
    const sent: string[] = [];
    (await cat.bucket.sdk())[1].middlewareStack.add((next, context) => (args) => {
      sent.push(context.commandName!);
      return next(args);
    });
    const [put] = await cat.put(RUN, ['big/blob.bin'], cwd, true);
    expect(put!.data_hash).toBe(sha(big));
    expect(sent.filter((c) => c === 'UploadPartCommand')).toHaveLength(5); // 8 MiB parts
    expect(sent).toContain('CompleteMultipartUploadCommand');
    expect(sent).not.toContain('PutObjectCommand');
    const h = await head(`p${prefixes}/${RUN}/big/blob.bin`);
    expect(h.Metadata).toEqual({ sha256: sha(big) });
    const other = join(base, 'other');
    const [got] = await cat.get(RUN, ['big/*'], other);
    expect(got!.data_hash).toBe(sha(big));
    expect((await stat(join(other, 'big/blob.bin'))).size).toBe(big.length);
    expect(sha(await readFile(join(other, 'big/blob.bin')))).toBe(sha(big));
  });

  it('refuses an object whose bytes no longer match the sha256 recorded at put, leaving no file', async () => {
    await write(cwd, 'a.csv', 'original');
    await cat.put(RUN, ['a.csv'], cwd, true);
    const key = `p${prefixes}/${RUN}/a.csv`;
    await (await cat.bucket.sdk())[1].send(new PutObjectCommand({ Bucket: 'catalog-test', Key: key, Body: 'tampered', Metadata: { sha256: sha('original') } }));
    const other = join(base, 'other');
    await rejects(cat.get(RUN, ['a.csv'], other), 'E_CATALOG', /does not match the sha256 recorded/);
    expect(existsSync(join(other, 'a.csv'))).toBe(false);
    const body = await (await cat.bucket.sdk())[1].send(new GetObjectCommand({ Bucket: 'catalog-test', Key: key }));
    expect(await body.Body!.transformToString()).toBe('tampered');
  });
});

describe('s3 access check (before any step runs)', () => {
  const check = (config: Record<string, unknown>) => catalogs.create('s3', config, { cwd }).checkAccess!();

  it('passes for a bucket that exists with working credentials', async () => {
    await check(s3.config('catalog-test'));
  });

  it('a missing bucket, a refused key or an unreachable endpoint: one line naming bucket and endpoint, no credential', async () => {
    const missing = await rejects(check(s3.config('no-such-bucket')), 'E_CONFIG', /bucket 'no-such-bucket' does not exist/);
    expect(missing.where.field).toBe('catalog.config.bucket');
    expect(missing.message).toContain(s3.endpoint);
    const denied = await rejects(check({ ...s3.config('catalog-test'), aws_access_key_id: 'WRONGKEY', aws_secret_access_key: 'sup3r-s3cret' }), 'E_CONFIG', /access denied.*check the credentials/);
    expect(denied.message).not.toMatch(/sup3r-s3cret|WRONGKEY/);
    const closed = await rejects(check({ ...s3.config('catalog-test'), endpoint_url: 'http://127.0.0.1:9' }), 'E_CONFIG', /endpoint cannot be reached \(ECONNREFUSED\)/);
    for (const e of [missing, denied, closed]) expect(e.message).not.toContain('\n');
  });
});
