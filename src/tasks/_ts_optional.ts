/**
 * Which parameters a TypeScript signature marks optional (`x?: T`). esbuild erases the `?`, so
 * the code that runs shows `x` as required; the module's text as the user wrote it still says
 * so. This finds the function's parameter list in that text (a `function NAME(`, a
 * `NAME = (...) =>` / `NAME = function (`, or `export default function (`) and reads, for each
 * parameter, whether it is `name?:`, and for a single destructured object parameter with an
 * inline type (`{a, b}: {a: number; b?: string}`) which members are `?:`. A signature it cannot
 * find or read the same way as the running code is left as it was: nothing is guessed.
 */

/** Per positional parameter, whether it is `?`; for one object parameter, its `?` members. */
export interface OptionalMarks {
  positional: boolean[];
  members: Set<string>;
}

/** The marks of function `name`'s parameters in `source`, or undefined when its declaration is not found once. */
export function optionalMarks(source: string, name: string | undefined): OptionalMarks | undefined {
  const lists = name && /^[\w$]+$/.test(name) ? paramLists(source, name) : [];
  const found = lists.length ? lists : name === 'default' || !name ? defaultExportLists(source) : [];
  // two declarations of one name (overloads, shadowing): no way to tell which runs
  if (found.length !== 1) return undefined;
  // a `this: T` parameter is erased from the code that runs
  const params = splitTopLevel(found[0]!).filter((p) => !/^this\s*:/.test(p));
  const positional = params.map((p) => /^(?:(?:public|private|protected|readonly)\s+)*[\w$]+\s*\?\s*:/.test(p));
  const members = new Set<string>();
  const single = params.length === 1 ? objectTypeOf(params[0]!) : undefined;
  if (single !== undefined) {
    for (const member of splitTopLevel(single, /[,;]/)) {
      const m = /^(?:readonly\s+)?['"]?([\w$]+)['"]?\s*\?\s*:/.exec(member);
      if (m) members.add(m[1]!);
    }
  }
  return { positional, members };
}

const esc = (s: string) => s.replace(/\$/g, '\\$');

/** The text between the parentheses of each declaration of `name`. */
function paramLists(source: string, name: string): string[] {
  const n = esc(name);
  const heads = [
    new RegExp(`\\bfunction\\s*\\*?\\s*${n}\\s*(?=[<(])`, 'g'),
    new RegExp(`(?<![\\w$.])${n}\\s*(?::[^=;]*)?=\\s*(?:async\\s*)?(?:function\\b\\s*\\*?\\s*[\\w$]*\\s*)?(?=[<(])`, 'g'),
  ];
  return heads.flatMap((re) => [...source.matchAll(re)].map((m) => listAt(source, m.index! + m[0].length))).filter((l): l is string => l !== undefined);
}

function defaultExportLists(source: string): string[] {
  return [...source.matchAll(/\bexport\s+default\s+(?:async\s+)?(?:function\b\s*\*?\s*)?(?=[<(])/g)]
    .map((m) => listAt(source, m.index! + m[0].length))
    .filter((l): l is string => l !== undefined);
}

/** At `i` (optional `<generics>` then `(`): the parameter list's text. */
function listAt(source: string, i: number): string | undefined {
  if (source[i] === '<') {
    const end = closing(source, i);
    if (end === undefined) return undefined;
    i = end + 1;
    while (/\s/.test(source[i] ?? '')) i++;
  }
  if (source[i] !== '(') return undefined;
  const end = closing(source, i);
  return end === undefined ? undefined : source.slice(i + 1, end);
}

const OPEN: Record<string, string> = { '(': ')', '[': ']', '{': '}', '<': '>' };

/** Index of the bracket closing the one at `i`, skipping strings and nested brackets (`=>` is not a bracket). */
function closing(source: string, i: number): number | undefined {
  const stack: string[] = [];
  for (let j = i; j < source.length; j++) {
    const c = source[j]!;
    if (c === '"' || c === "'" || c === '`') {
      j = stringEnd(source, j);
      continue;
    }
    if (c === '>' && source[j - 1] === '=') continue;
    if (OPEN[c]) stack.push(OPEN[c]!);
    else if (c === stack.at(-1)) {
      stack.pop();
      if (!stack.length) return j;
    } else if (')]}'.includes(c)) return undefined;
  }
  return undefined;
}

function stringEnd(source: string, i: number): number {
  const quote = source[i];
  for (let j = i + 1; j < source.length; j++) {
    if (source[j] === '\\') j++;
    else if (source[j] === quote) return j;
  }
  return source.length;
}

/** The parts of `text` split at top-level separators, trimmed, empty ones dropped. */
function splitTopLevel(text: string, sep: RegExp = /,/): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let j = 0; j < text.length; j++) {
    const c = text[j]!;
    if (c === '"' || c === "'" || c === '`') j = stringEnd(text, j);
    else if ('([{<'.includes(c)) depth++;
    else if (')]}'.includes(c) || (c === '>' && text[j - 1] !== '=')) depth--;
    else if (depth === 0 && sep.test(c)) {
      parts.push(text.slice(start, j));
      start = j + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter(Boolean);
}

/** `{a, b}: {a: number; b?: string}` (a default after it allowed): the type literal's inside. */
function objectTypeOf(param: string): string | undefined {
  if (!param.startsWith('{')) return undefined;
  const end = closing(param, 0);
  if (end === undefined) return undefined;
  const rest = param.slice(end + 1).trimStart();
  if (!rest.startsWith(':')) return undefined;
  const type = rest.slice(1).trimStart();
  if (!type.startsWith('{')) return undefined;
  const close = closing(type, 0);
  return close === undefined ? undefined : type.slice(1, close);
}
