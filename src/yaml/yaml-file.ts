/**
 * Reading a YAML file so that later errors can point at a line: the parsed value plus a way to
 * find the line of any path in it. Shared by pipelines, configs and parameter files.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, visit, type Alias } from 'yaml';
import type { Document, Node, Pair } from 'yaml';
import { RunnableError } from '../errors.js';

export type YamlPath = readonly (string | number)[];

export interface YamlFile {
  /** display path: relative to the working directory when inside it */
  file: string;
  value: unknown;
  /**
   * 1-based line of the key at `path` (of the item, for sequence items); when the path does not
   * exist, of its deepest existing ancestor, so a missing field points at its parent.
   */
  lineOf(path: YamlPath): number | undefined;
}

import { displayPath } from '../util/display-path.js';

/** Read and parse; unreadable or unparsable files are E_FILE naming the file (and line). */
export async function readYamlFile(file: string, cwd: string, what = 'file'): Promise<YamlFile> {
  const shown = displayPath(file, cwd);
  let text: string;
  try {
    text = await readFile(path.resolve(cwd, file), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new RunnableError('E_FILE', `cannot read ${what}: ${why}`, { file: shown });
  }
  return parseYaml(text, shown);
}

export function parseYaml(text: string, file: string): YamlFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true, uniqueKeys: true, prettyErrors: false });
  const lineAt = (offset: number | undefined) => (offset === undefined ? undefined : lineCounter.linePos(offset).line);
  const bad = doc.errors[0];
  if (bad) {
    const msg =
      bad.code === 'MULTIPLE_DOCS'
        ? 'more than one document (---) in the file'
        : bad.message.split('\n')[0]!.replace(/\s*at line \d+, column \d+:?$/, '');
    throw new RunnableError('E_FILE', `invalid YAML: ${msg}`, { file, line: lineAt(bad.pos[0]) });
  }
  const cycle = aliasCycle(doc);
  if (cycle) throw new RunnableError('E_FILE', cycle.message, { file, line: lineAt(cycle.offset) });
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 10_000 });
  } catch (e) {
    throw new RunnableError('E_FILE', `invalid YAML: ${(e as Error).message}`, { file });
  }
  return { file, value, lineOf: (p) => lineAt(locate(doc, p)) };
}

/**
 * An alias inside the node its anchor names (`dag: &d {steps: {p: {branches: {b: *d}}}}`): YAML
 * allows it, but it makes a value that contains itself, which every reader after this one would
 * follow forever (a stack overflow). Every YAML file runnable reads goes through here.
 */
export function aliasCycle(doc: Document): { message: string; offset: number | undefined } | undefined {
  let found: Alias | undefined;
  visit(doc, {
    Alias(_key, alias) {
      const target = alias.resolve(doc);
      const at = alias.range?.[0];
      if (target?.range && at !== undefined && at >= target.range[0] && at < target.range[2]) {
        found = alias;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  const alias = found as Alias | undefined;
  return alias && { message: `invalid YAML: alias *${alias.source} is inside the anchor &${alias.source} it refers to (a cycle)`, offset: alias.range?.[0] };
}

/** Offset of the node at `path`, resolving aliases and `<<` merges (a reused anchor points at its definition). */
function locate(doc: Document, p: YamlPath): number | undefined {
  let node: unknown = doc.contents;
  let offset: number | undefined;
  for (const seg of p) {
    node = deref(doc, node);
    if (isMap(node)) {
      const pair = findPair(doc, node.items as Pair[], String(seg));
      if (!pair) break;
      offset = (pair.key as Node | null)?.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      if (!node) break;
      offset = (deref(doc, node) as Node | null)?.range?.[0] ?? offset;
    } else {
      break;
    }
  }
  return offset ?? doc.contents?.range?.[0];
}

function deref(doc: Document, node: unknown): unknown {
  let n = node;
  for (let i = 0; isAlias(n) && i < 100; i++) n = n.resolve(doc);
  return n;
}

function isMergeKey(key: unknown): boolean {
  const v = isScalar(key) ? key.value : key;
  return v === '<<' || (typeof v === 'symbol' && v.description === '<<');
}

function findPair(doc: Document, items: Pair[], key: string): Pair | undefined {
  const own = items.find((it) => !isMergeKey(it.key) && String(isScalar(it.key) ? it.key.value : it.key) === key);
  if (own) return own;
  for (const it of items) {
    if (!isMergeKey(it.key)) continue;
    const sources = deref(doc, it.value);
    for (const src of isSeq(sources) ? sources.items : [sources]) {
      const m = deref(doc, src);
      const found = isMap(m) ? findPair(doc, m.items as Pair[], key) : undefined;
      if (found) return found;
    }
  }
  return undefined;
}
