/** File names for records, for stores that keep one file per record. */
import { createHash } from 'node:crypto';
import type { RecordKind } from './types.js';

const MAX_ENCODED = 150;
const KEEP_PREFIX = 120;

/**
 * `run.json`, `params.json`, `job.json`, `step-<key>.json`, `branch-<key>.json`. The key is
 * encoded like encodeURIComponent but stricter: only `a-z 0-9 . _ -` are kept, every other
 * UTF-8 byte (uppercase letters included, so that `Train` and `train` stay two files on
 * case-insensitive file systems) becomes `%XX`. An encoding longer than 150 characters is cut
 * and suffixed with `~` and 16 hex digits of the key's sha256 (`~` is never kept by the
 * encoding, so the names stay one-to-one). Readers never decode names: records carry their key.
 */
export function recordFileName(kind: RecordKind, key: string): string {
  if (kind === 'run' || kind === 'params' || kind === 'job') return `${kind}.json`;
  let encoded = encodeKey(key);
  if (encoded.length > MAX_ENCODED) {
    const hash = createHash('sha256').update(key).digest('hex').slice(0, 16);
    encoded = `${encoded.slice(0, KEEP_PREFIX)}~${hash}`;
  }
  return `${kind}-${encoded}.json`;
}

function encodeKey(key: string): string {
  if (/^[a-z0-9._-]*$/.test(key)) return key;
  let out = '';
  for (const byte of Buffer.from(key, 'utf8')) {
    const kept = (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39) || byte === 0x2e || byte === 0x5f || byte === 0x2d;
    out += kept ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
