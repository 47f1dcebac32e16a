/**
 * Locating functions: every way a module can export a function, under vitest's transform here
 * (the tsx path is covered by twins.test.ts and load-module.test.ts), and the export table read
 * from each compiled shape a module can take.
 */
import { describe, expect, it } from 'vitest';
import { exportTable } from '../../src/sdk/_exports.js';
import { commandFor, locateFunction } from '../../src/sdk/index.js';
import dflt, { boundStart, renamedExport, right, start, triple } from '../fixtures/sdk/functions.js';
import { HERE } from './_helpers.js';

const command = (fn: Parameters<typeof locateFunction>[0]) => commandFor(locateFunction(fn), HERE);

describe('locateFunction', () => {
  it('finds named, arrow, renamed, default, factory-made and bound exports', () => {
    expect(command(start)).toBe('functions.ts:start');
    expect(command(right)).toBe('functions.ts:right');
    expect(command(renamedExport)).toBe('functions.ts:renamedExport');
    expect(command(dflt)).toBe('functions.ts');
    expect(command(triple)).toBe('functions.ts:triple');
    expect(command(boundStart)).toBe('functions.ts:boundStart');
  });

  it('records an absolute file, written relative to any cwd with forward slashes', () => {
    const loc = locateFunction(start);
    expect(loc).toEqual({ file: `${HERE}/functions.ts`, exportName: 'start' });
    expect(commandFor(loc, `${HERE}/yaml`)).toBe('../functions.ts:start');
    expect(commandFor(loc, process.cwd())).toBe('test/fixtures/sdk/functions.ts:start');
  });

  it('is cached per function', () => {
    expect(locateFunction(start)).toBe(locateFunction(start));
  });
});

describe('exportTable', () => {
  const locals = (source: string) => Object.fromEntries(exportTable(source).byLocal);

  it('reads ES module exports', () => {
    const t = exportTable(`
      export function a() {}
      export const b = () => 1, { c, d: [e] } = obj;
      function f() {}
      export { f as g, f };
      export class K {}
      export { x } from './other.js';
      export default function named() {}
    `);
    expect(Object.fromEntries(t.byLocal)).toEqual({ a: ['a'], b: ['b'], c: ['c'], e: ['e'], f: ['g', 'f'], K: ['K'], named: ['default'] });
    expect(t.anonymousDefault).toBeUndefined();
  });

  it('marks an anonymous default function by its source range', () => {
    const source = 'const z = 1;\nexport default async (a, b) => a + b;\n';
    const t = exportTable(source);
    expect(t.anonymousDefault).toEqual([source.indexOf('async'), source.indexOf('a + b')]);
    expect(locals('export default helper;')).toEqual({ helper: ['default'] });
  });

  it("reads vite's SSR export registrations (vitest)", () => {
    expect(
      locals(`'use strict';async (__vite_ssr_exports__,__vite_ssr_exportName__)=>{{__vite_ssr_exportName__("prepare", () => { try { return prepare } catch {} });
__vite_ssr_exportName__("default", () => { try { return __vite_ssr_export_default__ } catch {} });
function prepare() {}
const __vite_ssr_export_default__ = function() {};
}}`),
    ).toEqual({ prepare: ['prepare'], __vite_ssr_export_default__: ['default'] });
    expect(locals(`Object.defineProperty(__vite_ssr_exports__, "old", { enumerable: true, configurable: true, get(){ return oldLocal }});`)).toEqual({
      oldLocal: ['old'],
    });
  });

  it("reads esbuild's CommonJS output (tsx in a package without type: module)", () => {
    expect(
      locals(`var funcs_exports = {};
__export(funcs_exports, { default: () => funcs_default, prepare: () => prepare });
module.exports = __toCommonJS(funcs_exports);
function prepare() {}
var funcs_default = function() {};`),
    ).toEqual({ funcs_default: ['default'], prepare: ['prepare'] });
  });

  it('reports sources it cannot parse', () => {
    expect(exportTable('this is not javascript (').parsed).toBe(false);
  });
});
