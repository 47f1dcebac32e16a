/**
 * Helpers for the engine end-to-end tests: a fresh working directory per pipeline (YAML, TS
 * modules, parameter and config files written into it), a run through the library
 * (`executePipeline`) or the built CLI, and navigation of the run log it leaves behind.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { executePipeline, type RunResult } from '../../src/runner/execute.js';
import type { BranchLog, Parameters, RunLog, StepLog } from '../../src/runlog/types.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(REPO, 'bin', 'runnable.js');

const dirs: string[] = [];
afterAll(() => {
  if (process.env.KEEP_ENGINE_DIRS === '1') return;
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh working directory (an ES-module project) holding `files` (path -> text). */
export function workdir(files: Record<string, string> = {}): string {
  const cwd = mkdtempSync(join(tmpdir(), 'runnable-engine-'));
  dirs.push(cwd);
  writeFileSync(join(cwd, 'package.json'), JSON.stringify({ name: 'engine-test', private: true, type: 'module' }));
  writeFiles(cwd, files);
  return cwd;
}

export function writeFiles(cwd: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    const file = join(cwd, rel);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
}

/** The environment a run sees: the test's own, minus anything that could configure runnable. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('RUNNABLE_') || k === 'FORCE_COLOR') continue;
    env[k] = v;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

export interface LibRun extends RunResult {
  cwd: string;
  /** the run log as the file-system store left it on disk */
  file: RunLog;
}

/** Runs `pipeline` (relative to `cwd`) through the library. */
export interface RunOpts {
  pipeline?: string;
  params?: string;
  config?: string;
  env?: Record<string, string>;
  runId?: string;
}

export async function run(cwd: string, opts: RunOpts = {}): Promise<LibRun> {
  const result = await executePipeline({
    pipeline: opts.pipeline ?? 'pipeline.yaml',
    parametersFile: opts.params,
    configFile: opts.config,
    runId: opts.runId,
    cwd,
    env: cleanEnv(opts.env),
  });
  const file = JSON.parse(readFileSync(join(cwd, '.run_log_store', `${result.runId}.json`), 'utf8')) as RunLog;
  return { ...result, cwd, file };
}

/** Writes `pipeline.yaml` (plus `files`) into a fresh directory and runs it. */
export async function runYaml(yaml: string, files: Record<string, string> = {}, opts: RunOpts = {}): Promise<LibRun> {
  return run(workdir({ 'pipeline.yaml': yaml, ...files }), opts);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node bin/runnable.js ARGS` in `cwd`; needs the build in dist/. */
export function cli(args: string[], cwd: string, env: Record<string, string | undefined> = {}, timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export function readRunLog(cwd: string, runId: string): RunLog {
  return JSON.parse(readFileSync(join(cwd, '.run_log_store', `${runId}.json`), 'utf8')) as RunLog;
}

export function runIds(cwd: string): string[] {
  const folder = join(cwd, '.run_log_store');
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5));
}

// ---- run-log navigation: RunLog.steps by name, StepLog.branches and BranchLog.steps by internal name

/**
 * The step log at a resolved internal name, e.g. `outer.1.par.b.inner.x.step`. Inside a branch
 * the step is found by its `internal_name` field, whatever the key of `BranchLog.steps` is
 * (the key itself is asserted in runlog-shape.test.ts).
 */
export function step(log: RunLog, internalName: string): StepLog {
  const segs = internalName.split('.');
  let current = log.steps[segs[0]!];
  if (!current) throw new Error(`no step '${segs[0]}'; steps: ${Object.keys(log.steps).join(', ')}`);
  for (let i = 1; i < segs.length; i += 2) {
    const b = current.branches[segs.slice(0, i + 1).join('.')];
    if (!b) throw new Error(`no branch '${segs.slice(0, i + 1).join('.')}'; branches: ${Object.keys(current.branches).join(', ')}`);
    const want = segs.slice(0, i + 2).join('.');
    const next = Object.values(b.steps).find((s) => s.internal_name === want);
    if (!next) throw new Error(`no step '${want}'; steps: ${Object.values(b.steps).map((s) => s.internal_name).join(', ')}`);
    current = next;
  }
  return current;
}

export function branch(log: RunLog, internalName: string): BranchLog {
  const cut = internalName.lastIndexOf('.');
  const b = step(log, internalName.slice(0, cut)).branches[internalName];
  if (!b) throw new Error(`no branch '${internalName}'`);
  return b;
}

/** Every step log, depth first. */
export function allSteps(log: { steps: Record<string, StepLog> }): StepLog[] {
  const out: StepLog[] = [];
  for (const s of Object.values(log.steps)) {
    out.push(s);
    for (const b of Object.values(s.branches)) out.push(...allSteps(b));
  }
  return out;
}

export function allBranches(log: { steps: Record<string, StepLog> }): BranchLog[] {
  const out: BranchLog[] = [];
  for (const s of Object.values(log.steps)) {
    for (const b of Object.values(s.branches)) out.push(b, ...allBranches(b));
  }
  return out;
}

/** `{name: value}` of `{name: {kind, value}}`. */
export function values(params: Parameters | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params ?? {}).map(([k, p]) => [k, p.value]));
}

/** Files under `<cwd>/.catalog/<runId>/`, relative, `/`-separated. */
export function catalogFiles(cwd: string, runId: string): string[] {
  const root = join(cwd, '.catalog', runId);
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
  return existsSync(root) ? walk(root).map((f) => relative(root, f).split(sep).join('/')).sort() : [];
}

export const readCatalog = (cwd: string, runId: string, rel: string): string => readFileSync(join(cwd, '.catalog', runId, rel), 'utf8');
