/**
 * The first hour of a new user (issue 15, "Must show"), driven from outside the repository: the
 * built package is packed with `npm pack`, the tarball installed into fresh CommonJS and ESM
 * projects in a temporary folder (from the npm cache: every dependency is installed here), and
 * `npx runnable` runs a shell + Python + TS pipeline there. A TS step throws, the summary names it
 * and prints the retry command, which is then run as printed. `validate` refuses a broken SDK
 * pipeline with exit 2 and one line. Run `npm run build` first.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../..');
const NPM_FLAGS = ['--offline', '--no-audit', '--no-fund', '--loglevel=error'];
let root: string;
let tarball: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'runnable-first-hour-'));
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', root], { cwd: REPO, encoding: 'utf8' });
  const [info] = JSON.parse(out) as { filename: string; size: number; unpackedSize: number; files: { path: string }[] }[];
  expect(info!.size).toBeLessThan(1_000_000);
  expect(info!.unpackedSize).toBeLessThan(5_000_000);
  const paths = info!.files.map((f) => f.path);
  expect(paths).toContain('LICENSE');
  expect(paths.filter((p) => p.endsWith('.map'))).toEqual([]);
  tarball = join(root, info!.filename);
}, 120_000);

// the installed projects hold node_modules: removing them takes a while on a busy machine
afterAll(() => rmSync(root, { recursive: true, force: true }), 600_000);

let installed: string | undefined;
/** `npm init -y` (CommonJS) with the tarball installed into it, once per test file: the projects start as copies of it */
function installedProject(): string {
  if (installed) return installed;
  const dir = join(root, 'installed');
  mkdirSync(dir);
  execFileSync('npm', ['init', '-y', '--loglevel=error'], { cwd: dir });
  let r = spawnSync('npm', ['install', tarball, ...NPM_FLAGS], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) r = spawnSync('npm', ['install', tarball, '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return (installed = dir);
}

/**
 * A fresh project, CommonJS (as `npm init -y` makes it) or ESM, with the tarball installed: a
 * copy of one `npm install` (npm would write the same files into each; installing three times
 * only cost the suite a minute).
 */
function project(name: string, type: 'commonjs' | 'module'): string {
  const dir = join(root, name);
  cpSync(installedProject(), dir, { recursive: true, verbatimSymlinks: true });
  if (type === 'module') execFileSync('npm', ['pkg', 'set', 'type=module'], { cwd: dir });
  return dir;
}

function runnable(dir: string, args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', RUNNABLE_PYTHON: '/usr/bin/python3' };
  for (const k of Object.keys(env)) if (k.startsWith('RUNNABLE_PRM_') || k === 'RUNNABLE_CONFIGURATION_FILE') delete env[k];
  const r = spawnSync('npx', ['--no-install', 'runnable', ...args], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const PY = `def double(x):\n    return int(x) * 2\n`;
// line 3 throws: the stack must name steps.ts:3, the user's file, not a data: URL
const TS_THROWS = `export function check(y: number) {\n  const want: number = 6;\n  if (y === want) throw new Error('check threw on purpose');\n  return y;\n}\n`;
const TS_FIXED = `export function check(y: number) {\n  return y;\n}\n`;
const YAML = `
dag:
  start_at: start
  steps:
    start: {type: task, command_type: shell, command: 'export x=3', returns: [x], next: twice}
    twice: {type: task, command_type: python, command: pysteps.double, returns: [y], next: check}
    check: {type: task, command_type: typescript, command: 'steps.ts:check', next: success}
`;

/** The stack of the thrown error names the user's file and line, never the compiled module. */
function expectUserFileLine(stderr: string): void {
  expect(stderr).toMatch(/steps\.ts:3\b/);
  expect(stderr).not.toContain('data:text/javascript');
}

describe('the first hour, from a packed and installed package', () => {
  // A CommonJS project's TS step is loaded through tsx's require (src/tasks/_module.ts), so its
  // stack names the user's file and line, not a data: URL holding the compiled module.
  it('cjs project: the stack of a thrown error names steps.ts:3', () => {
    const dir = project('cjs-stack', 'commonjs');
    writeFileSync(join(dir, 'pysteps.py'), PY);
    writeFileSync(join(dir, 'steps.ts'), TS_THROWS);
    writeFileSync(join(dir, 'pipeline.yaml'), YAML);
    expectUserFileLine(runnable(dir, ['execute', 'pipeline.yaml']).stderr);
  }, 300_000);

  it.each([['cjs', 'commonjs'], ['esm', 'module']] as const)('%s project: run, see the failure, retry as printed', (name, type) => {
    const dir = project(name, type);
    writeFileSync(join(dir, 'pysteps.py'), PY);
    writeFileSync(join(dir, 'steps.ts'), TS_THROWS);
    writeFileSync(join(dir, 'pipeline.yaml'), YAML);

    const failed = runnable(dir, ['execute', 'pipeline.yaml']);
    expect(failed.code, failed.stderr).toBe(1);
    expect(failed.stderr).toMatch(/failed\s+check/);
    expect(failed.stderr).toContain('check threw on purpose');
    if (type === 'module') expectUserFileLine(failed.stderr);
    const retry = /retry with\s+runnable (retry \S+)/.exec(failed.stderr);
    expect(retry, failed.stderr).not.toBeNull();

    writeFileSync(join(dir, 'steps.ts'), TS_FIXED);
    const again = runnable(dir, retry![1]!.split(' '));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/SUCCESS/);
    const show = runnable(dir, ['runs', 'show', retry![1]!.split(' ')[1]!, '--json']);
    const log = JSON.parse(show.stdout);
    expect(log.status).toBe('SUCCESS');
    expect(log.parameters.y.value).toBe(6);
    expect(readdirSync(join(dir, '.run_log_store')).filter((f) => f.endsWith('.json'))).toHaveLength(1);
  }, 300_000);

  it('ESM project: an SDK pipeline runs, and validate refuses a broken one with exit 2 and one line', () => {
    const dir = project('sdk', 'module');
    writeFileSync(join(dir, 'pysteps.py'), PY);
    writeFileSync(join(dir, 'steps.ts'), TS_FIXED);
    writeFileSync(
      join(dir, 'pipeline.ts'),
      `import { pipeline, python, shell, task } from 'runnable-ts';\nimport { check } from './steps.ts';\n\nexport default pipeline([\n  shell('export x=3', { name: 'start', returns: ['x'] }),\n  python('pysteps.double', { name: 'twice', returns: ['y'] }),\n  task(check),\n]);\n`,
    );
    const ok = runnable(dir, ['execute', 'pipeline.ts']);
    expect(ok.code, ok.stderr).toBe(0);

    writeFileSync(
      join(dir, 'broken.ts'),
      `import { pipeline, shell } from 'runnable-ts';\n\nexport default pipeline([\n  shell('echo one', { name: 'same' }),\n  shell('echo two', { name: 'same' }),\n]);\n`,
    );
    const bad = runnable(dir, ['validate', 'broken.ts']);
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('broken.ts');
    expect(bad.stderr).not.toMatch(/^\s+at /m);
  }, 300_000);
});
