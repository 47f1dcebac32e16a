/**
 * The step cache of the S3 run-log stores (`s3`, `chunked-s3` and their aliases): JSON objects
 * in the store's own bucket, under `PREFIX/.cache/` (a dot name, never a run id), so a step
 * cached on one machine is a hit on any other that uses the bucket:
 * - `keys/<k0k1>/<key>.json`: the entry saved under a cache key;
 * - `steps/<h0h1>/<sha256(step)>.json`: the latest entry of a step (resolved internal name).
 * A lookup is one GET; a save two PUTs, each replacing a whole object atomically, the key first
 * (a crash in between leaves a usable entry whose step pointer is older).
 */
import { sha256 } from '../util/sha256.js';
import type { Bucket } from '../s3/bucket.js';
import type { CacheEntry, StepCache } from './types.js';

const KEY_RE = /^[0-9a-f]{64}$/;

export class S3StepCache implements StepCache {
  readonly location: string;

  constructor(private readonly bucket: Bucket) {
    this.location = `${bucket.url}/.cache`;
  }

  async lookup(key: string): Promise<CacheEntry | undefined> {
    if (!KEY_RE.test(key)) return undefined;
    const entry = await this.read(this.keyPath(key));
    return entry?.key === key ? entry : undefined;
  }

  async latestFor(step: string): Promise<CacheEntry | undefined> {
    const entry = await this.read(this.stepPath(step));
    return entry?.step === step ? entry : undefined;
  }

  async save(entry: CacheEntry): Promise<void> {
    if (!KEY_RE.test(entry.key)) throw new Error(`step cache: malformed key '${entry.key}'`);
    const text = JSON.stringify(entry);
    await this.bucket.put(this.keyPath(entry.key), text);
    await this.bucket.put(this.stepPath(entry.step), text);
  }

  private keyPath(key: string): string {
    return this.bucket.key(`.cache/keys/${key.slice(0, 2)}/${key}.json`);
  }

  private stepPath(step: string): string {
    const h = sha256(step);
    return this.bucket.key(`.cache/steps/${h.slice(0, 2)}/${h}.json`);
  }

  /** the entry in an object; undefined when absent or unreadable (a cache never fails a run on a bad entry) */
  private async read(key: string): Promise<CacheEntry | undefined> {
    const object = await this.bucket.get(key);
    if (!object) return undefined;
    try {
      const entry = JSON.parse(object.body.toString('utf8')) as CacheEntry;
      return entry && entry.v === 1 ? entry : undefined;
    } catch {
      return undefined;
    }
  }
}
