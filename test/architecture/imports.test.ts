/**
 * The layering rules, checked on the sources (test/architecture/_imports.ts): no value-import
 * cycle in src/, no import of another folder's `_private` module, and no value import running up
 * a floor of the list in ARCHITECTURE.md (the test reads the floors from there, so the document
 * stays true). The synthetic trees at the end prove each check can fail.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { importCycles, importGraph, privateImports, topFolder, upwardImports } from './_imports.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SRC = join(ROOT, 'src');

/** The floors of ARCHITECTURE.md's block: lines `floor N: a/ b/ c.ts`, N higher for higher floors. */
function floorsOf(markdown: string): Map<string, number> {
  const floors = new Map<string, number>();
  for (const m of markdown.matchAll(/^floor (\d+): (.+)$/gm)) {
    for (const name of m[2]!.split(/\s+/)) if (name) floors.set(name.replace(/\/$/, '').replace(/\.ts$/, ''), Number(m[1]));
  }
  return floors;
}

describe('imports in src/', () => {
  const edges = importGraph(SRC);

  it('make no value-import cycle', () => {
    expect(edges.length).toBeGreaterThan(300);
    expect(importCycles(edges)).toEqual([]);
  });

  it("import no other folder's _private module", () => {
    expect(privateImports(edges)).toEqual([]);
  });

  it('run down the floors of ARCHITECTURE.md, each folder on one', () => {
    const floors = floorsOf(readFileSync(join(ROOT, 'ARCHITECTURE.md'), 'utf8'));
    const folders = [...new Set(edges.flatMap((e) => [topFolder(e.from), topFolder(e.to)]))].sort();
    // a new folder is placed on a floor in ARCHITECTURE.md before it is checked
    expect(folders.filter((f) => !floors.has(f))).toEqual([]);
    expect(upwardImports(edges, (f) => floors.get(f))).toEqual([]);
  });
});

describe('the checks fail when they should', () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnable-imports-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (files: Record<string, string>) => {
    const root = mkdtempSync(join(dir, 't-'));
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, name)), { recursive: true });
      writeFileSync(join(root, name), text);
    }
    return importGraph(root);
  };

  it('finds a cycle through value imports, static or dynamic, and none through types', () => {
    const edges = write({
      'a/one.ts': "import { two } from '../b/two.js';\nexport const one = () => two;\n",
      'b/two.ts': "export const two = 2;\nexport async function back() { return (await import('../c/three.js')).three; }\n",
      'c/three.ts': "export { one as three } from '../a/one.js';\n",
      'd/x.ts': "import type { Y } from './y.js';\nexport type X = { y?: Y };\n",
      'd/y.ts': "import { type X } from './x.js';\nexport type Y = { x?: X };\n",
    });
    expect(importCycles(edges)).toEqual([['a/one.ts', 'b/two.ts', 'c/three.ts']]);
  });

  it("finds an import of another folder's private module, and allows one from inside it or a subfolder", () => {
    const edges = write({
      'a/_inner.ts': 'export const inner = 1;\n',
      'a/public.ts': "import { inner } from './_inner.js';\nexport const pub = inner;\n",
      'a/sub/deeper.ts': "import { inner } from '../_inner.js';\nexport const deeper = inner;\n",
      'b/user.ts': "import type { } from '../a/public.js';\nimport { inner } from '../a/_inner.js';\nexport const u = inner;\n",
    });
    expect(privateImports(edges)).toEqual([join('b', 'user.ts') + ' → ' + join('a', '_inner.ts')]);
  });

  it('finds a value import running up a floor, and lets a type import through', () => {
    const edges = write({
      'low/l.ts': "import { h } from '../high/h.js';\nimport type { T } from '../high/t.js';\nexport const l: T = h;\n",
      'high/h.ts': 'export const h = 1;\n',
      'high/t.ts': 'export type T = number;\n',
    });
    const floors = floorsOf('floor 1: high/\nfloor 0: low/\n');
    expect(upwardImports(edges, (f) => floors.get(f))).toEqual([join('low', 'l.ts') + ' → ' + join('high', 'h.ts')]);
  });
});
