/**
 * YAML text of a manifest (plain JSON data: objects, arrays, strings, numbers, booleans). The
 * `yaml` library's stringify builds a document tree first and takes ~10 s on the 12 MB manifest
 * of a 50-wide, 3-deep pipeline; this writes the same data in block style directly (~0.2 s).
 * Strings are plain when nothing could read them as another type, else JSON-quoted (a YAML
 * double-quoted scalar); multi-line strings are literal blocks. The tests parse what it writes
 * back with the `yaml` library.
 */
const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./-]*$/;
const RESERVED = /^(true|false|null|yes|no|on|off|y|n|~)$/i;

export function toYaml(value: object): string {
  if (isEmpty(value)) return Array.isArray(value) ? '[]\n' : '{}\n';
  const out: string[] = [];
  block(value, '', out);
  return out.join('\n') + '\n';
}

/**
 * Lines of a non-empty mapping or sequence at `indent`; the first line starts with `lead`
 * instead (`- ` of the sequence item that holds it), so nothing is copied per nesting level.
 */
function block(value: object, indent: string, out: string[], lead = indent): void {
  let prefix = lead;
  if (Array.isArray(value)) {
    for (const item of value) {
      if (isContainer(item) && !isEmpty(item)) block(item, `${indent}  `, out, `${prefix}- `);
      else out.push(`${prefix}- ${scalar(item, `${indent}  `)}`);
      prefix = indent;
    }
    return;
  }
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined) continue;
    const k = string(key, indent, false);
    if (isContainer(v) && !isEmpty(v)) {
      out.push(`${prefix}${k}:`);
      block(v, `${indent}  `, out);
    } else out.push(`${prefix}${k}: ${scalar(v, `${indent}  `)}`);
    prefix = indent;
  }
}

const isContainer = (v: unknown): v is object => typeof v === 'object' && v !== null;
const isEmpty = (v: object) => (Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0);

function scalar(v: unknown, indent: string): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return '[]';
  if (typeof v === 'object') return '{}';
  if (typeof v === 'string') return string(v, indent, true);
  return String(v);
}

function string(s: string, indent: string, blockOk: boolean): string {
  if (PLAIN.test(s) && !RESERVED.test(s)) return s;
  // a literal block keeps multi-line text readable (the pods' config); `|` + its chomping indicator
  if (blockOk && s.includes('\n') && !/^[ \t\n]/.test(s) && !/[^\S\n]\n|[\t\r\u0000-\u0008\u000b-\u001f]/.test(s)) {
    const trailing = /\n+$/.exec(s)?.[0].length ?? 0;
    const chomp = trailing === 0 ? '-' : trailing === 1 ? '' : '+';
    const body = (trailing ? s.slice(0, -1) : s).split('\n').map((l) => (l ? `${indent}${l}` : ''));
    return `|${chomp}\n${body.join('\n')}`;
  }
  return JSON.stringify(s);
}
