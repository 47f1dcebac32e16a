/**
 * Binding a function's parameters from the parameter space (SPEC §3), by reading its declared
 * parameter names from its source text. Signatures are parsed once per function and cached, so
 * the per-call cost is a few Map lookups plus the loads of the bound values.
 */
import { createRequire } from 'node:module';
import type { Expression, Function as FunctionNode, ObjectPattern, Pattern } from 'acorn';
import { RunnableError } from '../errors.js';
import { TaskFailure, type ParamView } from './types.js';
import { optionalMarks } from './_ts_optional.js';

/** One named slot: a positional parameter, or a property of a destructured object parameter. */
export interface Slot {
  /** the parameter-space name it binds */
  name: string;
  /** has a default, so it may be missing */
  optional: boolean;
}

export type Signature =
  /** `f(a, b = 1, ...rest)`: each slot positionally; the rest parameter gets nothing */
  | { kind: 'positional'; slots: Slot[] }
  /** `f({a, b = 2, ...rest})`: one object argument; `rest` collects every other parameter */
  | { kind: 'object'; slots: Slot[]; rest: boolean };

export interface Bound {
  args: unknown[];
  /** the parameter names actually passed */
  consumed: string[];
}

const signatures = new WeakMap<Function, Signature>();

/**
 * The function's signature, parsed from its source on first use. `original` is the text of the
 * module as the user wrote it, when the code that runs was transformed (TypeScript by esbuild):
 * esbuild renames a parameter that shadows a top-level name (`toss` becomes `toss2`), and the
 * user's name is the one to bind.
 */
export function signatureOf(fn: Function, label = fn.name || 'anonymous function', original?: string): Signature {
  let sig = signatures.get(fn);
  if (!sig) {
    sig = parseSignature(fn, label);
    if (original !== undefined && sig.kind === 'positional') {
      sig = { kind: 'positional', slots: sig.slots.map((s) => ({ ...s, name: undoRename(s.name, original) })) };
    }
    if (original !== undefined && sig.slots.length) sig = withTypeOptionals(sig, fn, original);
    signatures.set(fn, sig);
  }
  return sig;
}

/**
 * `x?: T` (and `{a, b}: {b?: T}`) is optional as the type says: esbuild erased the `?` from the
 * code that runs, so the marks come from the module's text (./_ts_optional.ts). Read only when
 * the written list has as many parameters as the running one.
 */
function withTypeOptionals(sig: Signature, fn: Function, original: string): Signature {
  const marks = optionalMarks(original, fn.name);
  if (!marks) return sig;
  if (sig.kind === 'object') {
    return marks.members.size ? { ...sig, slots: sig.slots.map((s) => (marks.members.has(s.name) ? { ...s, optional: true } : s)) } : sig;
  }
  if (marks.positional.length < sig.slots.length) return sig;
  return { kind: 'positional', slots: sig.slots.map((s, i) => (marks.positional[i] ? { ...s, optional: true } : s)) };
}

/** `toss2` back to `toss` when the user's source never says `toss2` but says `toss`. */
export function undoRename(name: string, original: string): string {
  const digits = /\d+$/.exec(name)?.[0];
  if (!digits || mentions(original, name)) return name;
  for (let cut = 1; cut <= digits.length; cut++) {
    const candidate = name.slice(0, -cut);
    if (mentions(original, candidate)) return candidate;
  }
  return name;
}

const mentions = (text: string, word: string) => new RegExp(`(?<![\\w$])${word.replace(/\$/g, '\\$')}(?![\\w$])`).test(text);

/** Arguments for `fn` from `params`; throws TaskFailure naming every missing required parameter. */
export async function bindArguments(fn: Function, params: ParamView, label = fn.name || 'anonymous function', original?: string): Promise<Bound> {
  const sig = signatureOf(fn, label, original);
  // Fast path for the common no-parameter function: nothing to look up, nothing to await.
  if (sig.slots.length === 0 && !(sig.kind === 'object' && sig.rest)) {
    return { args: sig.kind === 'object' ? [{}] : [], consumed: [] };
  }
  const missing = sig.slots.filter((s) => !s.optional && params.get(s.name) === undefined).map((s) => s.name);
  if (missing.length) {
    const list = missing.map((n) => `'${n}'`).join(', ');
    const known = params.names();
    throw new TaskFailure(
      `${label} needs parameter${missing.length > 1 ? 's' : ''} ${list}, not set ` +
        `(parameters: ${known.length ? known.join(', ') : 'none'})`,
    );
  }
  const present = boundNames(sig, () => params.names(), (name) => params.get(name) !== undefined);
  if (sig.kind === 'positional') {
    // A missing optional slot is passed as undefined, which makes its default apply.
    const args = await Promise.all(
      sig.slots.map((s) => (params.get(s.name) !== undefined ? params.load(s.name) : undefined)),
    );
    return { args, consumed: present };
  }
  const values = await Promise.all(present.map((name) => params.load(name)));
  const arg: Record<string, unknown> = {};
  present.forEach((name, i) => (arg[name] = values[i]));
  return { args: [arg], consumed: present };
}

/**
 * The parameter names a signature takes, in binding order: its slots that are set, then, for
 * `{a, ...rest}`, every other name. What a call passes, and what the step cache keys it on.
 */
export function boundNames(sig: Signature, names: () => readonly string[], isSet: (name: string) => boolean): string[] {
  const bound = sig.slots.filter((s) => isSet(s.name)).map((s) => s.name);
  if (sig.kind === 'object' && sig.rest) {
    const named = new Set(sig.slots.map((s) => s.name));
    for (const name of names()) if (!named.has(name)) bound.push(name);
  }
  return bound;
}

function parseSignature(fn: Function, label: string): Signature {
  const source = Function.prototype.toString.call(fn);
  const node = functionNode(source);
  if (!node) {
    // Native and bound functions show no parameter names; one that takes none can still run.
    if (fn.length === 0) return { kind: 'positional', slots: [] };
    throw new RunnableError('E_COMMAND', `cannot read the parameter names of ${label} (a bound or native function?)`);
  }
  if (node === 'class') throw new RunnableError('E_COMMAND', `${label} is a class; export a function`);
  const params = node.params;
  const named = params.filter((p) => p.type !== 'RestElement');
  const single = named.length === 1 ? unwrapDefault(named[0]!).pattern : undefined;
  if (single?.type === 'ObjectPattern') return objectSignature(single, label);
  const slots: Slot[] = [];
  named.forEach((p, i) => {
    const { pattern, optional } = unwrapDefault(p);
    if (pattern.type !== 'Identifier') {
      throw new RunnableError(
        'E_COMMAND',
        `parameter ${i + 1} of ${label} is destructured; use plain parameter names or a single destructured object`,
      );
    }
    slots.push({ name: pattern.name, optional });
  });
  return { kind: 'positional', slots };
}

function objectSignature(pattern: ObjectPattern, label: string): Signature {
  const slots: Slot[] = [];
  let rest = false;
  for (const prop of pattern.properties) {
    if (prop.type === 'RestElement') {
      rest = true;
      continue;
    }
    const key = prop.computed ? undefined : prop.key.type === 'Identifier' ? prop.key.name : prop.key.type === 'Literal' ? String(prop.key.value) : undefined;
    if (key === undefined) throw new RunnableError('E_COMMAND', `${label} destructures a computed property; name it`);
    // `{a: x = 1}` binds by the key `a`; its default is on the value side.
    slots.push({ name: key, optional: prop.value.type === 'AssignmentPattern' });
  }
  return { kind: 'object', slots, rest };
}

function unwrapDefault(p: Pattern): { pattern: Pattern; optional: boolean } {
  return p.type === 'AssignmentPattern' ? { pattern: p.left, optional: true } : { pattern: p, optional: false };
}

/**
 * The function node of a function's source. `toString()` gives a declaration or expression
 * (`function f(){}`, `async (a) => a`, `a => a`), a method (`m(a){}`, `async *g(){}`,
 * `['k'](a){}`) or a private method (`#m(){}`); each parses in one of three wrappers.
 */
function functionNode(source: string): FunctionNode | 'class' | undefined {
  if (/^class(?:\s+[\w$]|\s*\{)/.test(source)) return 'class';
  const { parse } = acorn();
  for (const [before, after] of WRAPPERS) {
    let program;
    try {
      program = parse(before + source + after, { ecmaVersion: 'latest', sourceType: 'script' });
    } catch {
      continue;
    }
    const stmt = program.body[0];
    const expr = stmt?.type === 'ExpressionStatement' ? stmt.expression : undefined;
    const fn = expr && findFunction(expr);
    if (fn) return fn;
  }
  return undefined;
}

/** acorn costs ~20 ms to load; only a run that binds a function's parameters pays for it. */
let acornModule: typeof import('acorn') | undefined;
/** Loads acorn now rather than at the first bound function (a step process started ahead of its step). */
export function acorn(): typeof import('acorn') {
  return (acornModule ??= createRequire(import.meta.url)('acorn') as typeof import('acorn'));
}

const WRAPPERS: [string, string][] = [
  ['(', '\n)'],
  ['({', '\n})'],
  ['(class { ', '\n})'],
];

function findFunction(expr: Expression): FunctionNode | undefined {
  switch (expr.type) {
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
      return expr;
    case 'ObjectExpression': {
      const prop = expr.properties[0];
      return prop?.type === 'Property' && prop.value.type === 'FunctionExpression' ? prop.value : undefined;
    }
    case 'ClassExpression': {
      const member = expr.body.body[0];
      return member?.type === 'MethodDefinition' ? member.value : undefined;
    }
    default:
      return undefined;
  }
}
