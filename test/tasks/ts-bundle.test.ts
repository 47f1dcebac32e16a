/**
 * A step process of a YAML pipeline loads its TS module from an esbuild bundle kept in a cache
 * (src/tasks/_ts_bundle.ts) instead of through tsx, where that is safe; these tests run the
 * built CLI under emulate (real step processes) with TMPDIR pointing at a scratch directory, so
 * the cache is the test's own. Whether tsx was loaded is read from inside the step: tsx's
 * CommonJS hook adds `.ts` to Node's `Module._extensions`.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunLog } from '../../src/runlog/types.js';
import { parseJsonSummary } from '../examples/_run.js';
import { cleanup, cli, scratch } from '../executors/_emulate.js';

afterAll(cleanup);

const EMULATE = 'pipeline-executor: {type: emulate}\nrun-log-store: {type: chunked-fs}\n';

function project(files: Record<string, string>): { cwd: string; tmp: string } {
  const cwd = scratch();
  const tmp = join(cwd, 'tmp');
  mkdirSync(tmp);
  writeFileSync(join(cwd, 'package.json'), JSON.stringify({ name: 'bundle-test', private: true, type: 'module' }));
  writeFileSync(join(cwd, 'emulate.yaml'), EMULATE);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(cwd, name, '..'), { recursive: true });
    writeFileSync(join(cwd, name), text);
  }
  return { cwd, tmp };
}

async function execute(cwd: string, tmp: string, pipeline: string, config = 'emulate.yaml'): Promise<{ code: number | null; log: RunLog; stderr: string }> {
  const r = await cli(['execute', pipeline, '-c', config, '--json'], cwd, { TMPDIR: tmp });
  const json = parseJsonSummary(r.stdout);
  if (!json) throw new Error(`no --json summary (exit ${r.code})\n${r.stderr.slice(-3000)}`);
  return { code: r.code, log: json.run_log as RunLog, stderr: r.stderr };
}

const bundles = (tmp: string) => {
  const dir = join(tmp, `runnable-ts-${process.getuid!()}`, 'ts-bundles');
  return existsSync(dir) ? readdirSync(dir) : [];
};

const step = (name: string, command: string, returns: string[], next: string) => `    ${name}: {type: task, command: '${command}', returns: [${returns.join(', ')}], next: ${next}}\n`;

// a package with an ES and a CommonJS entry: Node's import takes the ES one, and so must the bundle
const PACKAGE = {
  'node_modules/dual/package.json': JSON.stringify({ name: 'dual', version: '1.0.0', exports: { '.': { import: './esm.mjs', require: './cjs.cjs' } } }),
  'node_modules/dual/esm.mjs': 'export let loads = 0; loads++; export const flavour = "esm"; export function count() { return ++loads; }\n',
  'node_modules/dual/cjs.cjs': 'exports.flavour = "cjs"; exports.count = () => 0;\n',
};

const FNS = `import Module from 'node:module';
import './lib/registers.js';
import { flavour, count } from 'dual';
import { helper } from './lib/helper.js';
import { helper as same } from './lib/same-name.js';
export function probe(): [boolean, string, string, number, string] {
  return ['.ts' in (Module as unknown as { _extensions: object })._extensions, flavour, helper(), count(), [helper.name, same.name].join()];
}
export function fails(): void {
  throw new Error('from the step');
}
export function registered(): string[] {
  return (globalThis as { registered?: string[] }).registered ?? [];
}
`;
const HELPER = (word: string) => `import { count } from 'dual';\nexport function helper(): string { count(); return '${word}'; }\n`;

describe('a TS step under emulate, from a bundle', () => {
  let cwd: string;
  let tmp: string;
  let first: { code: number | null; log: RunLog; stderr: string };
  beforeAll(async () => {
    ({ cwd, tmp } = project({
      ...PACKAGE,
      'fns.ts': FNS,
      'lib/helper.ts': HELPER('one'),
      'lib/same-name.ts': 'export function helper(): void {}\n',
      // run for its effect only, in a package that says it has none: Node runs it all the same
      'lib/registers.ts': '(globalThis as { registered?: string[] }).registered = ["lib/registers"];\nexport const unused = 1;\n',
      'lib/package.json': JSON.stringify({ type: "module", sideEffects: false }),
      'registered.yaml': `dag:\n  start_at: registered\n  steps:\n${step('registered', 'fns.ts:registered', ['registered'], 'success')}`,
      'p.yaml': `dag:\n  start_at: probe\n  steps:\n${step('probe', 'fns.ts:probe', ['tsx', 'flavour', 'word', 'n', 'names'], 'success')}`,
      'fail.yaml': `dag:\n  start_at: fails\n  steps:\n${step('fails', 'fns.ts:fails', [], 'success')}`,
    }));
    first = await execute(cwd, tmp, 'p.yaml');
  }, 120_000);

  it('runs it without loading tsx, with its helper bundled and its package imported as Node imports it', () => {
    expect(first.code, first.stderr.slice(-3000)).toBe(0);
    const p = first.log.parameters;
    expect(p.tsx!.value).toBe(false);
    expect(p.flavour!.value).toBe('esm');
    expect(p.word!.value).toBe('one');
    // one instance of the package: the helper's count() and the step's share it
    expect(p.n!.value).toBe(3);
    // two files' functions of one name keep it in one bundle
    expect(p.names!.value).toBe('helper,helper');
    expect(bundles(tmp).filter((f) => f.endsWith('.mjs'))).toHaveLength(1);
  });

  it('runs a module imported for its effect alone, whatever `sideEffects` says', async () => {
    const r = await execute(cwd, tmp, 'registered.yaml');
    expect(r.log.parameters.registered!.value).toEqual(['lib/registers']);
  }, 120_000);

  it('bundles again when a file of the graph changed', async () => {
    writeFileSync(join(cwd, 'lib/helper.ts'), HELPER('two'));
    const again = await execute(cwd, tmp, 'p.yaml');
    expect(again.log.parameters.word!.value).toBe('two');
    expect(again.log.parameters.tsx!.value).toBe(false);
  }, 120_000);

  it('bundles again when an imported package changed', async () => {
    writeFileSync(join(cwd, 'node_modules/dual/package.json'), JSON.stringify({ name: 'dual', version: '2.0.0', exports: { '.': { import: './esm2.mjs', require: './cjs.cjs' } } }));
    writeFileSync(join(cwd, 'node_modules/dual/esm2.mjs'), 'export const flavour = "esm2"; export function count() { return 7; }\n');
    const again = await execute(cwd, tmp, 'p.yaml');
    expect(again.log.parameters.flavour!.value).toBe('esm2');
  }, 120_000);

  it("names the TS file and line in a failing step's stack trace", async () => {
    const r = await execute(cwd, tmp, 'fail.yaml');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Error: from the step\n\s+at fails \(.*fns\.ts:10:9\)/);
  }, 120_000);
});

describe('step caching across the loaders', () => {
  it('a TS step cached by a local run (tsx) is a hit under emulate (a bundle): the function text is the same', async () => {
    const { cwd, tmp } = project({
      'fns.ts': `import { tag } from './lib/tag.js';\nexport function label(n: number): string {\n  const twice = (x: number) => x * 2;\n  return tag(String(twice(n)));\n}\n`,
      'lib/tag.ts': 'export function tag(s: string): string { return `<${s}>`; }\n',
      'params.yaml': 'n: 21\n',
      'p.yaml': `dag:\n  start_at: label\n  steps:\n    label: {type: task, command: fns.ts:label, returns: [out], cache: true, next: success}\n`,
      'local.yaml': 'pipeline-executor: {type: local}\nrun-log-store: {type: chunked-fs}\n',
    });
    const run = async (config: string) => {
      const r = await cli(['execute', 'p.yaml', '-c', config, '-p', 'params.yaml', '--json'], cwd, { TMPDIR: tmp });
      expect(r.code, r.stderr.slice(-3000)).toBe(0);
      return parseJsonSummary(r.stdout)!.run_log as RunLog;
    };
    const local = await run('local.yaml');
    expect(local.parameters.out!.value).toBe('<42>');
    const emulated = await run('emulate.yaml');
    expect(bundles(tmp).filter((f) => f.endsWith('.mjs'))).toHaveLength(1);
    expect(emulated.steps.label!.attempts[0]!.message ?? '').toMatch(/^cache hit: run /);
    expect(emulated.parameters.out!.value).toBe('<42>');
  }, 120_000);
});

describe("a YAML job's TS task under the emulate job executor", () => {
  it('comes from a bundle too', async () => {
    const { cwd, tmp } = project({
      'fns.ts': `import Module from 'node:module';\nexport function probe(): boolean { return '.ts' in (Module as unknown as { _extensions: object })._extensions; }\n`,
      'job.yaml': 'job:\n  type: task\n  command: fns.ts:probe\n  returns: [tsx]\n',
      'jobs.yaml': 'job-executor: {type: emulate}\nrun-log-store: {type: chunked-fs}\n',
    });
    const r = await cli(['execute-job', 'job.yaml', '-c', 'jobs.yaml', '--json'], cwd, { TMPDIR: tmp });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const log = parseJsonSummary(r.stdout)!.run_log as RunLog;
    expect(log.parameters.tsx!.value).toBe(false);
    expect(bundles(tmp).filter((f) => f.endsWith('.mjs'))).toHaveLength(1);
  }, 120_000);
});

describe('a TS step left to tsx', () => {
  it('when its code uses import.meta (which a bundle would change)', async () => {
    const { cwd, tmp } = project({
      'fns.ts': `import Module from 'node:module';\nexport function where(): [boolean, string] { return ['.ts' in (Module as unknown as { _extensions: object })._extensions, import.meta.url]; }\n`,
      'p.yaml': `dag:\n  start_at: where\n  steps:\n${step('where', 'fns.ts:where', ['tsx', 'url'], 'success')}`,
    });
    const r = await execute(cwd, tmp, 'p.yaml');
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.log.parameters.tsx!.value).toBe(true);
    expect(r.log.parameters.url!.value).toMatch(/\/fns\.ts(\?.*)?$/);
    expect(bundles(tmp).filter((f) => f.endsWith('.mjs'))).toEqual([]);
  }, 120_000);

  it('when Node runs with flags that change resolution (NODE_OPTIONS=--conditions=...)', async () => {
    const { cwd, tmp } = project({
      'node_modules/cond/package.json': JSON.stringify({ name: 'cond', version: '1.0.0', exports: { '.': { development: './dev.mjs', import: './prod.mjs' } } }),
      'node_modules/cond/dev.mjs': 'export const mode = "development";\n',
      'node_modules/cond/prod.mjs': 'export const mode = "production";\n',
      'fns.ts': `import { mode } from 'cond';\nexport function which(): string { return mode; }\n`,
      'p.yaml': `dag:\n  start_at: which\n  steps:\n${step('which', 'fns.ts:which', ['mode'], 'success')}`,
    });
    const r = await cli(['execute', 'p.yaml', '-c', 'emulate.yaml', '--json'], cwd, { TMPDIR: tmp, NODE_OPTIONS: '--conditions=development' });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect((parseJsonSummary(r.stdout)!.run_log as RunLog).parameters.mode!.value).toBe('development');
    expect(bundles(tmp).filter((f) => f.endsWith('.mjs'))).toEqual([]);
  }, 120_000);

  it('when the cache directory is writable by others', async () => {
    const { cwd, tmp } = project({
      'fns.ts': `import Module from 'node:module';\nexport function probe(): boolean { return '.ts' in (Module as unknown as { _extensions: object })._extensions; }\n`,
      'p.yaml': `dag:\n  start_at: probe\n  steps:\n${step('probe', 'fns.ts:probe', ['tsx'], 'success')}`,
    });
    const open = join(tmp, `runnable-ts-${process.getuid!()}`);
    mkdirSync(open);
    chmodSync(open, 0o777);
    const r = await execute(cwd, tmp, 'p.yaml');
    expect(r.log.parameters.tsx!.value).toBe(true);
    expect(readdirSync(open)).toEqual([]);
  }, 120_000);

  it('in a process that runs many steps (local)', async () => {
    const { cwd, tmp } = project({
      'fns.ts': `import Module from 'node:module';\nexport function probe(): boolean { return '.ts' in (Module as unknown as { _extensions: object })._extensions; }\n`,
      'p.yaml': `dag:\n  start_at: probe\n  steps:\n${step('probe', 'fns.ts:probe', ['tsx'], 'success')}`,
      'local.yaml': 'pipeline-executor: {type: local}\n',
    });
    const r = await execute(cwd, tmp, 'p.yaml', 'local.yaml');
    expect(r.log.parameters.tsx!.value).toBe(true);
    expect(bundles(tmp)).toEqual([]);
    expect(readFileSync(join(cwd, 'fns.ts'), 'utf8')).toMatch(/probe/); // the user's code untouched
  }, 120_000);
});
