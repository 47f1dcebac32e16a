/**
 * Which local binding each export of a module reads, from the source V8 actually compiled.
 * Three shapes reach us: an ES module (plain JS, or TS through tsx/esbuild), a vite/vitest SSR
 * module (`__vite_ssr_exportName__("x", () => { try { return local } catch {} })`), and a TS file
 * compiled to CommonJS by tsx/esbuild (`__export(target, { x: () => local })`).
 */
import { createRequire } from 'node:module';
import type { Node as AcornNode, Program } from 'acorn';

export interface ExportTable {
  /** local binding name -> the names it is exported as */
  byLocal: Map<string, string[]>;
  /** source range [start, body start) of an anonymous `export default function/arrow`, which has no binding */
  anonymousDefault?: [number, number];
  /** false when the source could not be parsed */
  parsed: boolean;
}

type AnyNode = AcornNode & Record<string, unknown>;

export function exportTable(source: string): ExportTable {
  const table: ExportTable = { byLocal: new Map(), parsed: false };
  const program = parseSource(source);
  if (!program) return table;
  table.parsed = true;
  const add = (exported: string, local: string) => {
    const list = table.byLocal.get(local) ?? [];
    if (!list.includes(exported)) list.push(exported);
    table.byLocal.set(local, list);
  };
  for (const stmt of program.body as unknown as AnyNode[]) esmExports(stmt, add, table);
  walk(program as unknown as AnyNode, (node) => generatedExports(node, add));
  return table;
}

function parseSource(source: string): Program | undefined {
  const { parse } = acorn();
  for (const sourceType of ['module', 'script'] as const) {
    try {
      return parse(source, { ecmaVersion: 'latest', sourceType, allowHashBang: true, allowReturnOutsideFunction: sourceType === 'script' });
    } catch {
      // try the next source type
    }
  }
  return undefined;
}

/** acorn is loaded on the first function step only. */
let acornModule: typeof import('acorn') | undefined;
function acorn(): typeof import('acorn') {
  return (acornModule ??= createRequire(import.meta.url)('acorn') as typeof import('acorn'));
}

type Add = (exported: string, local: string) => void;

function esmExports(stmt: AnyNode, add: Add, table: ExportTable): void {
  if (stmt.type === 'ExportNamedDeclaration') {
    const decl = stmt.declaration as AnyNode | null;
    if (decl) for (const name of declaredNames(decl)) add(name, name);
    if (!stmt.source) {
      for (const spec of (stmt.specifiers as AnyNode[]) ?? []) add(nameOf(spec.exported as AnyNode), nameOf(spec.local as AnyNode));
    }
  } else if (stmt.type === 'ExportDefaultDeclaration') {
    const decl = stmt.declaration as AnyNode;
    const id = decl.id as AnyNode | null | undefined;
    if (decl.type === 'Identifier') add('default', decl.name as string);
    else if (id && (decl.type === 'FunctionDeclaration' || decl.type === 'ClassDeclaration')) add('default', id.name as string);
    else if (decl.type.includes('Function')) table.anonymousDefault = [decl.start, (decl.body as AnyNode).start];
  }
}

function declaredNames(decl: AnyNode): string[] {
  if (decl.type === 'FunctionDeclaration' || decl.type === 'ClassDeclaration') return [(decl.id as AnyNode).name as string];
  if (decl.type !== 'VariableDeclaration') return [];
  return (decl.declarations as AnyNode[]).flatMap((d) => patternNames(d.id as AnyNode));
}

function patternNames(p: AnyNode): string[] {
  switch (p.type) {
    case 'Identifier':
      return [p.name as string];
    case 'ObjectPattern':
      return (p.properties as AnyNode[]).flatMap((prop) => patternNames((prop.type === 'RestElement' ? prop.argument : prop.value) as AnyNode));
    case 'ArrayPattern':
      return (p.elements as (AnyNode | null)[]).flatMap((e) => (e ? patternNames(e) : []));
    case 'AssignmentPattern':
      return patternNames(p.left as AnyNode);
    case 'RestElement':
      return patternNames(p.argument as AnyNode);
    default:
      return [];
  }
}

const nameOf = (n: AnyNode): string => (n.type === 'Identifier' ? (n.name as string) : String(n.value));

/** Export registrations emitted by vite's SSR transform and by esbuild's CommonJS output. */
function generatedExports(node: AnyNode, add: Add): void {
  if (node.type !== 'CallExpression') return;
  const callee = node.callee as AnyNode;
  const args = node.arguments as AnyNode[];
  if (callee.type === 'Identifier' && callee.name === '__vite_ssr_exportName__') {
    const local = args[1] && returnedName(args[1]);
    if (args[0]?.type === 'Literal' && local) add(String(args[0].value), local);
  } else if (callee.type === 'Identifier' && callee.name === '__export' && args[1]?.type === 'ObjectExpression') {
    for (const prop of args[1].properties as AnyNode[]) {
      const local = prop.type === 'Property' ? returnedName(prop.value as AnyNode) : undefined;
      if (local) add(nameOf(prop.key as AnyNode), local);
    }
  } else if (isDefineProperty(callee) && (args[0] as AnyNode | undefined)?.name === '__vite_ssr_exports__' && args[1]?.type === 'Literal') {
    // older vite: Object.defineProperty(__vite_ssr_exports__, "x", { get(){ return local } })
    const getter = ((args[2]?.properties as AnyNode[] | undefined) ?? []).find((p) => nameOf(p.key as AnyNode) === 'get');
    const local = getter && returnedName(getter.value as AnyNode);
    if (local) add(String(args[1].value), local);
  }
}

const isDefineProperty = (c: AnyNode) =>
  c.type === 'MemberExpression' && (c.object as AnyNode).name === 'Object' && (c.property as AnyNode).name === 'defineProperty';

/** `() => local`, `() => { try { return local } catch {} }`, `get() { return local }` */
function returnedName(fn: AnyNode): string | undefined {
  if (!fn.type.includes('Function')) return undefined;
  const body = fn.body as AnyNode;
  if (body.type === 'Identifier') return body.name as string;
  let found: string | undefined;
  walk(body, (n) => {
    const arg = n.type === 'ReturnStatement' ? (n.argument as AnyNode | null) : null;
    if (!found && arg?.type === 'Identifier') found = arg.name as string;
  });
  return found;
}

function walk(node: AnyNode, visit: (n: AnyNode) => void): void {
  visit(node);
  for (const key of Object.keys(node)) {
    const value = node[key];
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) walk(item, visit);
    } else if (isNode(value)) {
      walk(value, visit);
    }
  }
}

const isNode = (v: unknown): v is AnyNode => typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';
