import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunnableError } from '../../src/errors.js';
import { checkCommand, loadExport, loadModule, parseCommand } from '../../src/tasks/_module.js';
import { fixtures } from './_helpers.js';

/** The error a promise rejects with; fails the test if it resolves. */
const failure = (p: Promise<unknown>): Promise<RunnableError> =>
  p.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e as RunnableError,
  );

describe('parseCommand', () => {
  it('splits PATH:EXPORT and defaults to the default export', () => {
    expect(parseCommand('src/f.ts:train')).toEqual({ file: 'src/f.ts', exportName: 'train' });
    expect(parseCommand('src/f.mjs')).toEqual({ file: 'src/f.mjs', exportName: 'default' });
    expect(parseCommand('a:b/f.mts:x')).toEqual({ file: 'a:b/f.mts', exportName: 'x' });
  });
  it('rejects other files', () => {
    expect(() => parseCommand('pkg.module.fn')).toThrow(/must be PATH:EXPORT or PATH/);
    expect(() => parseCommand('f.ts:')).toThrow(/names no export/);
  });
});

describe('loadExport', () => {
  it('loads a TS module without a build step, with its relative imports', async () => {
    const fn = (await loadExport('functions.ts:asyncDouble', fixtures)) as (n: number) => Promise<number>;
    expect(await fn(21)).toBe(42);
    const main = (await loadExport('functions.ts', fixtures)) as (s: string) => string;
    expect(main('x')).toBe('main x');
  });

  it('loads a plain .mjs module', async () => {
    const hello = (await loadExport('plain.mjs:hello', fixtures)) as (s: string) => string;
    expect(hello('you')).toBe('hello you');
    const triple = (await loadExport('plain.mjs', fixtures)) as (n: number) => number;
    expect(triple(2)).toBe(6);
  });

  it('loads a TS module compiled as CommonJS, named and default exports', async () => {
    // A package without "type": "module", as many TS projects are: tsx compiles it as CommonJS.
    // Written at test time, since the repo's type-check treats every fixture as ESM.
    const dir = await mkdtemp(path.join(tmpdir(), 'rt-cjs-'));
    await writeFile(path.join(dir, 'package.json'), '{ "type": "commonjs" }\n');
    await writeFile(path.join(dir, 'util.ts'), 'export const shout = (s: string): string => s.toUpperCase();\n');
    await writeFile(
      path.join(dir, 'steps.ts'),
      "import { shout } from './util';\n" +
        'export function greet(name: string): string { return shout(`hi ${name}`); }\n' +
        "export default function main(): string { return 'cjs default'; }\n",
    );
    const greet = (await loadExport('steps.ts:greet', dir)) as (s: string) => string;
    expect(greet('bob')).toBe('HI BOB');
    const main = (await loadExport('steps.ts', dir)) as () => string;
    expect(main()).toBe('cjs default');
    await expect(loadExport('steps.ts:nope', dir)).rejects.toThrow(
      "module steps.ts has no export 'nope' (exports: default, greet)",
    );
  });

  it('caches modules per absolute path', async () => {
    const a = await loadModule('functions.ts', fixtures);
    const b = await loadModule(path.join(fixtures, 'functions.ts'), '/');
    expect(a).toBe(b);
  });

  it('names the missing export and lists what exists', async () => {
    const err = await failure(loadExport('plain.mjs:helo', fixtures));
    expect(err).toBeInstanceOf(RunnableError);
    expect(err.code).toBe('E_COMMAND');
    expect(err.message).toBe("module plain.mjs has no export 'helo' (exports: default, hello)");
  });

  it('reports a missing default export', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'rt-mod-'));
    await writeFile(path.join(dir, 'm.mjs'), 'export const a = 1;\n');
    await expect(loadExport('m.mjs', dir)).rejects.toThrow('module m.mjs has no default export (exports: a)');
  });

  it('reports a missing file with E_COMMAND', async () => {
    const err = await failure(loadExport('nowhere.ts:f', fixtures));
    expect(err).toBeInstanceOf(RunnableError);
    expect(err.code).toBe('E_COMMAND');
    expect(err.message).toMatch(/^module nowhere.ts not found \(command 'nowhere.ts:f'/);
  });

  it('reports a module that fails to load', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'rt-mod-'));
    await writeFile(path.join(dir, 'bad.ts'), 'export const = ;\n');
    const err = await failure(loadExport('bad.ts:x', dir));
    expect(err).toBeInstanceOf(RunnableError);
    expect(err.message).toMatch(/^cannot load module bad.ts: /);
  });
});

describe('checkCommand', () => {
  it('checks the file exists without importing it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'rt-mod-'));
    // would throw if imported
    await writeFile(path.join(dir, 'boom.mjs'), 'throw new Error("imported!");\n');
    await expect(checkCommand('boom.mjs:x', dir)).resolves.toBeUndefined();
    await expect(checkCommand('missing.ts:x', dir)).rejects.toThrow(/module missing.ts not found/);
    await expect(checkCommand('.:x', dir)).rejects.toThrow(/must be PATH:EXPORT/);
  });
});
