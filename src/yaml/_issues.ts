/**
 * One zod issue -> one RunnableError a user can act on: our own wording (zod's is written for
 * developers), the step and field by name, and the line in the YAML.
 */
import type * as z from 'zod';
import { RunnableError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { isRecord, stepAndField, valueAt } from './_paths.js';
import { STEP_FIELDS } from './schema.js';
import { STEP_TYPES } from '../graph/rules.js';
import type { YamlFile, YamlPath } from './yaml-file.js';

type Issue = z.core.$ZodIssue;

export function issueToError(issues: readonly Issue[], y: YamlFile, code: ErrorCode): RunnableError {
  const issue = unwrapUnion(pickIssue(issues), y.value);
  const { path, message } = describe(issue, y.value);
  return new RunnableError(code, message, { file: y.file, ...stepAndField(y.value, path), line: y.lineOf(path) });
}

/** The first issue, but an unknown field in the same object wins: it usually explains the rest (`nxt` -> missing `next`). */
function pickIssue(issues: readonly Issue[]): Issue {
  const first = issues[0]!;
  const parent = first.code === 'unrecognized_keys' ? first.path : first.path.slice(0, -1);
  const same = (p: readonly PropertyKey[]) => p.length === parent.length && p.every((s, i) => s === parent[i]);
  return issues.find((i) => i.code === 'unrecognized_keys' && same(i.path)) ?? first;
}

/** For a non-discriminated union (a `returns` item), report from the alternative that matched the value's shape. */
function unwrapUnion(issue: Issue, root: unknown): Issue {
  if (issue.code !== 'invalid_union' || issue.discriminator !== undefined || issue.errors.length === 0) return issue;
  const wrongShape = (errs: readonly Issue[]) => errs[0]?.code === 'invalid_type' && errs[0].path.length === 0;
  const alt = issue.errors.find((errs) => !wrongShape(errs));
  if (!alt) {
    const got = kindOf(valueAt(root, path(issue)));
    return { code: 'custom', path: issue.path, message: `expected a name or {name, kind}, got ${got}`, input: undefined } as Issue;
  }
  const inner = pickIssue(alt);
  return unwrapUnion({ ...inner, path: [...issue.path, ...inner.path] } as Issue, root);
}

const path = (issue: Issue): YamlPath => issue.path as YamlPath;

function describe(issue: Issue, root: unknown): { path: YamlPath; message: string } {
  const at = path(issue);
  const value = valueAt(root, at);
  const last = at[at.length - 1];
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0]!;
      return { path: [...at, key], message: `unknown field '${key}'${hint(key, knownFields(root, at))}` };
    }
    case 'invalid_union':
      if (issue.discriminator !== undefined) {
        if (value === undefined) return { path: at, message: `missing required field 'type'` };
        return { path: at, message: `unknown step type ${show(value)} (known: ${STEP_TYPES.join(', ')})` };
      }
      return { path: at, message: issue.message };
    case 'invalid_type':
      if (value === undefined) return { path: at, message: `missing required field '${String(last)}'` };
      if (issue.expected === 'object' && at[at.length - 2] === 'steps') {
        return { path: at, message: `a step must be a mapping with a 'type', got ${kindOf(value)}` };
      }
      return { path: at, message: `expected ${expected(issue.expected)}, got ${kindOf(value)}` };
    case 'too_small':
      if (issue.origin === 'number') return { path: at, message: `must be at least ${issue.minimum}, got ${show(value)}` };
      return { path: at, message: 'must not be empty' };
    case 'invalid_value':
      return { path: at, message: `must be one of ${issue.values.map((v) => String(v)).join(', ')}; got ${show(value)}` };
    case 'invalid_format':
      return { path: at, message: `${show(value)} is ${issue.message}` };
    case 'invalid_key': {
      const container = at[at.length - 2];
      const what = container === 'steps' ? 'step name' : container === 'branches' ? 'branch name' : 'key';
      return { path: at, message: `${what} ${show(last)} ${issue.issues[0]?.message ?? 'is not allowed'}` };
    }
    default:
      return { path: at, message: issue.message };
  }
}

function knownFields(root: unknown, at: YamlPath): readonly string[] {
  const obj = valueAt(root, at);
  const last = at[at.length - 1];
  const parent = at[at.length - 2];
  if (at.length === 1 && last === 'job') return ['type', ...STEP_FIELDS.task.filter((f) => !['type', 'next', 'on_failure'].includes(f))];
  if (parent === 'steps' && isRecord(obj) && typeof obj.type === 'string' && obj.type in STEP_FIELDS) {
    return STEP_FIELDS[obj.type as keyof typeof STEP_FIELDS];
  }
  if (last === 'catalog') return ['get', 'put', 'store_copy'];
  if (parent === 'returns') return ['name', 'kind'];
  return ['description', 'start_at', 'steps'];
}

function hint(key: string, known: readonly string[]): string {
  const close = known.find((k) => distance(k, key) <= Math.max(1, Math.floor(k.length / 4)));
  return close ? ` (did you mean '${close}'?)` : ` (allowed: ${known.join(', ')})`;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

function expected(t: string): string {
  if (t === 'int') return 'an integer';
  if (t === 'object' || t === 'record') return 'a mapping';
  if (t === 'array') return 'a list';
  return `a ${t}`;
}

export function kindOf(v: unknown): string {
  if (v === null) return 'nothing (null)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${show(v)}`;
}

export const show = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v) ?? String(v));
