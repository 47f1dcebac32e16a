/**
 * Writes a large value as JSON without ever holding its whole text: `JSON.stringify` of a run
 * log with 10,000 branches can exceed V8's longest string (RangeError: Invalid string length).
 * The output is byte for byte what `JSON.stringify(value, null, indent)` gives (plain JSON data:
 * no `toJSON`, no replacer), in chunks of about 64 KB, waiting for the stream to drain.
 */
import type { Writable } from 'node:stream';

const CHUNK = 64 * 1024;
/** objects and arrays nested deeper than this are stringified whole (they are small in a run log) */
const STREAM_DEPTH = 8;

export async function writeJson(out: Writable, value: unknown, indent = 2): Promise<void> {
  let pending: string[] = [];
  let size = 0;
  const flush = async () => {
    if (!size) return;
    const text = pending.join('');
    pending = [];
    size = 0;
    if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', resolve));
  };
  const emit = async (text: string) => {
    pending.push(text);
    size += text.length;
    if (size >= CHUNK) await flush();
  };

  const walk = async (v: unknown, depth: number): Promise<void> => {
    if (v === null || typeof v !== 'object' || depth >= STREAM_DEPTH) {
      await emit(indentedStringify(v, indent, depth));
      return;
    }
    const inner = '\n' + ' '.repeat(indent * (depth + 1));
    const close = '\n' + ' '.repeat(indent * depth);
    if (Array.isArray(v)) {
      if (!v.length) return emit('[]');
      await emit('[');
      for (let i = 0; i < v.length; i++) {
        await emit((i ? ',' : '') + inner);
        // as JSON.stringify: holes, undefined and functions in arrays are null
        const item = v[i] === undefined || typeof v[i] === 'function' ? null : v[i];
        await walk(item, depth + 1);
      }
      return emit(close + ']');
    }
    const entries = Object.entries(v).filter(([, x]) => x !== undefined && typeof x !== 'function' && typeof x !== 'symbol');
    if (!entries.length) return emit('{}');
    await emit('{');
    for (let i = 0; i < entries.length; i++) {
      const [k, x] = entries[i]!;
      await emit((i ? ',' : '') + inner + JSON.stringify(k) + ': ');
      await walk(x, depth + 1);
    }
    await emit(close + '}');
  };
  await walk(value, 0);
  await emit('\n');
  await flush();
}

/** JSON.stringify(v, null, indent) as it would appear nested `depth` levels deep */
function indentedStringify(v: unknown, indent: number, depth: number): string {
  const text = JSON.stringify(v, null, indent) ?? 'null';
  return depth && text.includes('\n') ? text.replaceAll('\n', '\n' + ' '.repeat(indent * depth)) : text;
}
