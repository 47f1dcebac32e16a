/**
 * The `s3` catalog (alias `minio`): a run's files are objects `s3://BUCKET/PREFIX/RUN_ID/<path>`,
 * the same relative path they have in the step's working directory, with exactly the
 * `file-system` catalog's semantics (SPEC §4): the same globs select the same files (`_select.ts`),
 * local paths are confined the same way (`_paths.ts`), the same entries are recorded.
 *
 * - Every object carries the sha256 of its bytes as metadata (`x-amz-meta-sha256`), written with
 *   the object in the same PUT, so `hashes` needs no download and a `get` checks what it fetched.
 * - Transfers stream: files up to 8 MiB go in one PUT from one read; bigger ones are hashed from
 *   disk, then uploaded as a multipart upload (lib-storage: 8 MiB parts, 4 in flight, each part
 *   retried by the SDK, the upload aborted on failure, so a failed put leaves no object), the bytes
 *   sent hashed again on the way: a file that changed meanwhile is deleted and fails the step, so
 *   no object's recorded hash differs from its bytes. Downloads go straight to a temporary file.
 *   At most 16 files at once, of which 2 large ones: memory stays under ~100 MB whatever the sizes.
 * - `copyBetweenRuns` is a server-side CopyObject (the step cache restoring a run's outputs).
 *
 * @example
 * catalog:
 *   type: s3
 *   config:
 *     bucket: team-bucket/catalog
 *     endpoint_url: http://localhost:9000
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { posix, resolve } from 'node:path';
import { PassThrough, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RunnableError } from '../errors.js';
import type { DataCatalog } from '../runlog/types.js';
import type { Bucket } from '../s3/bucket.js';
import { createLimiter, mapLimit } from '../util/map-limit.js';
import { validateRunId } from '../util/run-id.js';
import { atomically, sha256, sha256File } from './_files.js';
import { ConfinedRoot, normalizeRelPath } from './_paths.js';
import { catalogEntry, claimKey, CLAIMS_FOLDER, CONCURRENCY, CWD, isClaimRecord, pathMatcher, putSelection, RUN_FOLDER, select, verifySources, type Source } from './_select.js';
import type { CatalogStore, ClaimRecords, PutOptions } from './types.js';

/** object metadata holding the sha256 of the bytes */
const SHA256 = 'sha256';
const PART_SIZE = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 4;
const LARGE_AT_ONCE = 2;

/** a key below a run's prefix that names a file by a plain relative path (not one written by something else, nor a claim record) */
const isPlainPath = (rel: string): boolean => !!rel && !rel.endsWith('/') && posix.normalize(rel) === rel && !rel.startsWith('../') && !isClaimRecord(rel);

export class S3Catalog implements CatalogStore {
  readonly remote = true;
  /** recorded as every entry's `catalog_handler_location` */
  readonly handlerLocation: string;
  private readonly large = createLimiter(LARGE_AT_ONCE);

  constructor(
    readonly bucket: Bucket,
    /** `s3`, or the alias it was configured as (`minio`) */
    readonly type: string = 's3',
  ) {
    this.handlerLocation = bucket.url;
  }

  location(runId: string): string {
    validateRunId(runId);
    return `${this.bucket.url}/${runId}`;
  }

  checkAccess(): Promise<void> {
    return this.bucket.verify('catalog.config.bucket');
  }

  async get(runId: string, globs: string[], cwd: string): Promise<DataCatalog[]> {
    const files = await this.selectInRun(runId, globs);
    const to = new ConfinedRoot(resolve(cwd), CWD, true);
    // every destination is checked before anything is fetched
    const targets = await mapLimit([...files], CONCURRENCY, ([rel, pattern]) => to.target(rel, `catalog get: pattern '${pattern}'`));
    return mapLimit([...files.keys()], CONCURRENCY, async (rel, i) => this.entry(runId, rel, await this.download(runId, rel, targets[i]!), 'get'));
  }

  async put(runId: string, globs: string[], cwd: string, storeCopy: boolean, options: PutOptions = {}): Promise<DataCatalog[]> {
    const root = resolve(cwd);
    const sources = await verifySources(new ConfinedRoot(root, CWD, false), await putSelection(globs, root), 'catalog put');
    const prefix = this.runPrefix(runId);
    return mapLimit(sources, CONCURRENCY, async (source) => {
      let hash: string;
      if (storeCopy) {
        hash = await this.upload(prefix + source.rel, source, options.admit);
      } else {
        hash = await sha256File(source.path, source.size);
        await options.admit?.({ name: source.rel, sha256: hash, pattern: source.pattern });
      }
      return this.entry(runId, source.rel, hash, 'put');
    });
  }

  /**
   * Capability: claim records, objects `PREFIX/RUN_ID/.claims/<key>` created with a conditional
   * PUT (`If-None-Match: *`). A server that ignores the condition (s3rver, MinIO before 2024)
   * lets a second creator overwrite the first: there the claims are best effort, as leases are.
   */
  readonly claims: ClaimRecords = {
    create: async (runId, key, text) => {
      const k = this.claimObject(runId, key);
      if ((await this.bucket.putIfAbsent(k, text)) !== undefined) return undefined;
      // exists; a concurrent create that won (409) may not be readable yet for a moment
      for (let i = 0; ; i++) {
        const held = await this.bucket.get(k);
        if (held) return held.body.toString('utf8');
        if (i >= 20) throw new RunnableError('E_CATALOG', `catalog: claim record '${k}' in ${this.bucket.url} exists but cannot be read`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    replace: async (runId, key, text) => void (await this.bucket.put(this.claimObject(runId, key), text)),
  };

  async writeFile(runId: string, relPath: string, data: Uint8Array | string): Promise<void> {
    const rel = normalizeRelPath(relPath, 'catalog write', RUN_FOLDER);
    const bytes = Buffer.from(data);
    await this.bucket.put(this.runPrefix(runId) + rel, bytes, { [SHA256]: sha256(bytes) });
  }

  async readFile(runId: string, relPath: string): Promise<Buffer> {
    const rel = normalizeRelPath(relPath, 'catalog read', RUN_FOLDER);
    const object = await this.bucket.get(this.runPrefix(runId) + rel);
    if (!object) throw new RunnableError('E_CATALOG', `catalog: no file '${rel}' in run '${runId}' (${this.location(runId)})`);
    return object.body;
  }

  async list(runId: string): Promise<string[]> {
    return (await this.runFiles(runId)).sort();
  }

  async hashes(runId: string, globs: string[]): Promise<Record<string, string>> {
    if (!globs.length) return {};
    const files = [...(await this.selectInRun(runId, globs)).keys()];
    const prefix = this.runPrefix(runId);
    const hashes = await mapLimit(files, CONCURRENCY, async (rel) => {
      const recorded = (await this.bucket.head(prefix + rel))?.metadata[SHA256];
      return recorded ?? this.hashObject(prefix + rel);
    });
    return Object.fromEntries(files.map((rel, i) => [rel, hashes[i]!]));
  }

  async copyBetweenRuns(fromRunId: string, toRunId: string, relPath: string): Promise<void> {
    const rel = normalizeRelPath(relPath, 'catalog copy', RUN_FOLDER);
    if (!(await this.bucket.copy(this.runPrefix(fromRunId) + rel, this.runPrefix(toRunId) + rel))) {
      throw new RunnableError('E_CATALOG', `catalog: no file '${rel}' in run '${fromRunId}' (${this.location(fromRunId)})`);
    }
  }

  /** Capability: every object under the run's prefix, counted as `list` counts files (keys that are not a plain path, and claim records, go too, uncounted) */
  async deleteRun(runId: string): Promise<number> {
    const prefix = this.runPrefix(runId);
    const keys = (await this.bucket.listAll(prefix)).map((o) => o.key);
    await this.bucket.delete(keys);
    return keys.filter((key) => isPlainPath(key.slice(prefix.length))).length;
  }

  private runPrefix(runId: string): string {
    validateRunId(runId);
    return this.bucket.key(`${runId}/`);
  }

  /** the run's files, catalog-relative; keys that are not a plain relative path (written by something else) are left out */
  private async runFiles(runId: string): Promise<string[]> {
    const prefix = this.runPrefix(runId);
    return (await this.bucket.listAll(prefix)).map((o) => o.key.slice(prefix.length)).filter(isPlainPath);
  }

  private async selectInRun(runId: string, globs: string[]): Promise<Map<string, string>> {
    const rels = await this.runFiles(runId);
    return select(globs, 'catalog get', async (normal) => {
      const matches = pathMatcher(normal);
      return rels.filter((rel) => matches(rel));
    });
  }

  private claimObject(runId: string, key: string): string {
    return `${this.runPrefix(runId)}${CLAIMS_FOLDER}/${claimKey(key)}`;
  }

  /** uploads a file with its sha256 as metadata, once `admit` (if any) has accepted it; returns the hash */
  private async upload(key: string, source: Source, admit?: PutOptions['admit']): Promise<string> {
    if (source.size <= PART_SIZE) {
      const bytes = await readFile(source.path);
      const hash = sha256(bytes);
      await admit?.({ name: source.rel, sha256: hash, pattern: source.pattern });
      await this.bucket.put(key, bytes, { [SHA256]: hash });
      return hash;
    }
    return this.large(async () => {
      const hash = await sha256File(source.path, source.size);
      await admit?.({ name: source.rel, sha256: hash, pattern: source.pattern });
      const sent = createHash('sha256');
      const body = createReadStream(source.path).pipe(
        new Transform({
          transform(chunk: Buffer, _enc, done) {
            sent.update(chunk);
            done(null, chunk);
          },
        }),
      );
      // loaded with the first large file, not with the catalog (bucket.ts says why)
      const [{ Upload }, [, client]] = await Promise.all([import('@aws-sdk/lib-storage'), this.bucket.sdk()]);
      const upload = new Upload({
        client,
        params: { Bucket: this.bucket.name, Key: key, Body: body, Metadata: { [SHA256]: hash } },
        partSize: PART_SIZE,
        queueSize: PARTS_IN_FLIGHT,
        leavePartsOnError: false,
      });
      try {
        await upload.done();
      } catch (e) {
        body.destroy();
        throw this.bucket.fail(e, `catalog put: cannot upload '${source.rel}' to`);
      }
      if (sent.digest('hex') !== hash) {
        await this.bucket.delete([key]);
        throw new RunnableError('E_CATALOG', `catalog put: '${source.rel}' changed while it was uploaded; nothing was stored`);
      }
      return hash;
    });
  }

  /** streams an object to `dest` (a temporary file renamed into place); returns its sha256, checked against the one recorded */
  private async download(runId: string, rel: string, dest: string): Promise<string> {
    const key = this.runPrefix(runId) + rel;
    const object = await this.bucket.stream(key);
    if (!object) throw new RunnableError('E_CATALOG', `catalog get: '${rel}' disappeared from ${this.location(runId)} while it was fetched`);
    const got = createHash('sha256');
    await atomically(dest, async (tmp) => {
      const hashing = new PassThrough().on('data', (chunk: Buffer) => got.update(chunk));
      await pipeline(object.body, hashing, createWriteStream(tmp)).catch((e: unknown) => Promise.reject(this.bucket.fail(e, `catalog get: cannot fetch '${rel}' from`)));
      const recorded = object.metadata[SHA256];
      if (recorded && recorded !== got.copy().digest('hex')) {
        throw new RunnableError('E_CATALOG', `catalog get: '${rel}' in ${this.location(runId)} does not match the sha256 recorded when it was put`);
      }
    });
    return got.digest('hex');
  }

  private async hashObject(key: string): Promise<string> {
    const object = await this.bucket.stream(key);
    if (!object) return '';
    const hash = createHash('sha256');
    await pipeline(object.body, hash);
    return hash.digest('hex');
  }

  private entry(runId: string, rel: string, hash: string, stage: 'get' | 'put'): DataCatalog {
    return catalogEntry(runId, rel, hash, stage, this.handlerLocation);
  }
}
