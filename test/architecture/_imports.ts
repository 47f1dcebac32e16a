/**
 * The import graph of a source tree, read with the TypeScript parser (no new dependency): every
 * relative `import`/`export ... from` and `import()` of each `.ts` file, and whether it is a
 * value import (a type-only import is erased at run time and makes no cycle).
 */
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

export interface ImportEdge {
  from: string;
  to: string;
  /** true for `import type`, `export type`, and imports of types only */
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.m?ts$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function resolveSpecifier(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(from), spec);
  for (const c of [base.replace(/\.m?js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(c) && statSync(c).isFile()) return c;
  }
  return undefined;
}

/** Every relative import among the `.ts` files under `root` (paths relative to `root`). */
export function importGraph(root: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of sourceFiles(root)) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
    const add = (spec: string, typeOnly: boolean) => {
      const to = resolveSpecifier(file, spec);
      if (to && to !== file) edges.push({ from: relative(root, file), to: relative(root, to), typeOnly });
    };
    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        const clause = node.importClause;
        const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
        const typeOnly = !!clause && (clause.isTypeOnly || (!clause.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
        add(node.moduleSpecifier.text, typeOnly);
      } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
        add(node.moduleSpecifier.text, node.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
        add(node.arguments[0].text, false);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return edges;
}

/** The value-import cycles (strongly connected components of more than one file, or a file importing itself), each sorted. */
export function importCycles(edges: ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) if (!e.typeOnly) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const strong = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of next.keys()) if (!index.has(v)) strong(v);
  return found;
}

/**
 * Imports (value or type) of a `_private.ts` module from outside the folder that holds it (a
 * subfolder is inside): `from → to` for each.
 */
export function privateImports(edges: ImportEdge[]): string[] {
  return edges
    .filter((e) => {
      const name = e.to.split(sep).at(-1)!;
      if (!name.startsWith('_')) return false;
      const folder = dirname(e.to);
      return folder !== '.' && dirname(e.from) !== folder && !dirname(e.from).startsWith(folder + sep);
    })
    .map((e) => `${e.from} → ${e.to}`);
}

/** The top folder of a file under the source root (`engine` for `engine/protocol.ts`; a file at the root is its own). */
export function topFolder(file: string): string {
  const parts = file.split(sep);
  return parts.length > 1 ? parts[0]! : file.replace(/\.ts$/, '');
}

/** Value imports from a folder on a lower floor to one on a higher floor: `from → to` for each. */
export function upwardImports(edges: ImportEdge[], floorOf: (folder: string) => number | undefined): string[] {
  return edges
    .filter((e) => {
      if (e.typeOnly) return false;
      const from = floorOf(topFolder(e.from));
      const to = floorOf(topFolder(e.to));
      return from !== undefined && to !== undefined && to > from;
    })
    .map((e) => `${e.from} → ${e.to}`);
}
