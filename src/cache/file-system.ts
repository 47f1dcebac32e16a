/**
 * The step cache of the file-backed run-log stores (`file-system`, `chunked-fs`): JSON files
 * under `<log_folder>/.cache/` (a dot folder, so the stores' run listings skip it):
 * - `keys/<k0k1>/<key>.json`: the entry saved under a cache key;
 * - `steps/<h0h1>/<sha256(step)>.json`: the latest entry of a step (resolved internal name).
 * A lookup is one file read; a save two atomic writes (temp file + rename), so a reader in another
 * process, or a runner killed mid-save, never leaves or sees half an entry. Synchronous, as the
 * file-backed run-log stores are: for files this small it costs a fraction of the thread-pool
 * round trips of fs/promises.
 */
import { linkSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '../util/sha256.js';
import { writeFileAtomic } from '../util/write-sync.js';
import type { CacheEntry, StepCache } from './types.js';

const KEY_RE = /^[0-9a-f]{64}$/;
let linkCounter = 0;

export class FileSystemStepCache implements StepCache {
  /** directories known to exist, so a save costs a mkdir only the first time */
  private readonly made = new Set<string>();
  private links = true;

  constructor(readonly location: string) {}

  async lookup(key: string): Promise<CacheEntry | undefined> {
    if (!KEY_RE.test(key)) return undefined;
    const entry = readEntry(this.keyPath(key));
    return entry?.key === key ? entry : undefined;
  }

  async latestFor(step: string): Promise<CacheEntry | undefined> {
    const entry = readEntry(this.stepPath(step));
    return entry?.step === step ? entry : undefined;
  }

  async save(entry: CacheEntry): Promise<void> {
    if (!KEY_RE.test(entry.key)) throw new Error(`step cache: malformed key '${entry.key}'`);
    const text = JSON.stringify(entry);
    const byKey = this.keyPath(entry.key);
    const byStep = this.stepPath(entry.step);
    this.mkdirOnce(join(byKey, '..'));
    this.mkdirOnce(join(byStep, '..'));
    // The key first: a crash in between leaves a usable entry whose step pointer is older.
    writeFileAtomic(byKey, text);
    this.pointStep(byKey, byStep, text);
  }

  /** The step's latest is the key's file again: a hard link renamed into place (2 syscalls), else a copy. */
  private pointStep(byKey: string, byStep: string, text: string): void {
    if (this.links) {
      const tmp = `${byStep}.${process.pid}.${++linkCounter}.tmp`;
      try {
        linkSync(byKey, tmp);
        renameSync(tmp, byStep);
        return;
      } catch {
        try {
          unlinkSync(tmp);
        } catch {
          /* never made */
        }
        this.links = false; // a file system without hard links
      }
    }
    writeFileAtomic(byStep, text);
  }

  private keyPath(key: string): string {
    return join(this.location, 'keys', key.slice(0, 2), `${key}.json`);
  }

  private stepPath(step: string): string {
    const h = sha256(step);
    return join(this.location, 'steps', h.slice(0, 2), `${h}.json`);
  }

  private mkdirOnce(dir: string): void {
    if (this.made.has(dir)) return;
    mkdirSync(dir, { recursive: true });
    this.made.add(dir);
  }
}

/** The entry in a file; undefined when absent or unreadable (a cache never fails a run). */
function readEntry(path: string): CacheEntry | undefined {
  // A miss is the common case on a first run: a stat that does not throw is cheaper than a failed open.
  if (!statSync(path, { throwIfNoEntry: false })) return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const entry = JSON.parse(text) as CacheEntry;
    return entry && entry.v === 1 ? entry : undefined;
  } catch {
    return undefined;
  }
}
