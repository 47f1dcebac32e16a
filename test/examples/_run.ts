/**
 * Helpers for the end-to-end example tests: run the built CLI on a copy of `examples/` in a
 * fresh directory, exactly as a user would, then read what the run left behind (the JSON
 * summary on stdout, the run log of the default file-system store, the catalog).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect } from 'vitest';
import type { BranchLog, DataCatalog, Parameters, RunLog, StepAttempt, StepLog } from '../../src/runlog/types.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** The CLI under test; RUNNABLE_TS_CLI may point at another build. */
export const CLI = process.env['RUNNABLE_TS_CLI'] ?? join(REPO, 'bin', 'runnable.js');
export const INITIAL_PARAMETERS = 'examples/common/initial_parameters.yaml';
/** Default locations of the file-system run-log store and catalog (SPEC §4, §5). */
export const RUN_LOG_FOLDER = '.run_log_store';
export const CATALOG_FOLDER = '.catalog';

export interface RunOptions {
  /** pass `-p examples/common/initial_parameters.yaml` */
  params?: boolean;
  /** extra environment for the CLI (on top of RUNNABLE_PRM_envvar and FIX_RANDOM_TOSS) */
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** The `--json` summary printed on stdout (SPEC §1). */
export interface JsonSummary {
  run_id: string;
  status: string;
  run_log: unknown;
}

export interface ExampleRun {
  pipeline: string;
  args: string[];
  cwd: string;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  json: JsonSummary;
  runId: string;
  runLog: RunLog;
}

/** The environment runnable's own example tests run with (tests/test_pipeline_examples.py). */
export const EXAMPLE_ENV: Record<string, string> = {
  RUNNABLE_PRM_envvar: 'from env',
  FIX_RANDOM_TOSS: 'heads',
};

/** A fresh working directory holding a copy of the repository's `examples/` folder. */
export function makeWorkdir(): string {
  const cwd = mkdtempSync(join(tmpdir(), 'runnable-examples-'));
  cpSync(join(REPO, 'examples'), join(cwd, 'examples'), { recursive: true });
  // a user's project: an ES-module package at the root of the working directory
  writeFileSync(join(cwd, 'package.json'), JSON.stringify({ name: 'runnable-examples', private: true, type: 'module' }, null, 2));
  return cwd;
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // nothing of the outer environment may configure the run: config, parameters, run id, tag
    if (k.startsWith('RUNNABLE_')) continue;
    if (k === 'FORCE_COLOR') continue;
    env[k] = v;
  }
  return { ...env, NO_COLOR: '1', ...EXAMPLE_ENV, ...extra };
}

/** The last JSON object printed on stdout (task output may precede it). */
export function parseJsonSummary(stdout: string): JsonSummary | undefined {
  const lines = stdout.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!lines[i]!.trimStart().startsWith('{')) continue;
    try {
      const value: unknown = JSON.parse(lines.slice(i).join('\n'));
      if (value && typeof value === 'object' && 'run_id' in value) return value as JsonSummary;
    } catch {
      // not the start of the object: keep looking upwards
    }
  }
  return undefined;
}

/** Run `runnable execute <pipeline> --json [-p ...]` in a fresh copy of examples/. */
export async function runExample(pipeline: string, opts: RunOptions = {}): Promise<ExampleRun> {
  const cwd = makeWorkdir();
  const args = ['execute', pipeline, '--json', ...(opts.params ? ['-p', INITIAL_PARAMETERS] : [])];
  const { code, stdout, stderr } = await spawnCli(args, cwd, cleanEnv(opts.env ?? {}), opts.timeoutMs ?? 120_000);
  const describe = () =>
    `runnable ${args.join(' ')} (cwd ${cwd}) exited ${code}\n--- stdout (tail)\n${stdout.slice(-3000)}\n--- stderr (tail)\n${stderr.slice(-3000)}`;
  const json = parseJsonSummary(stdout);
  if (!json) throw new Error(`no --json summary on stdout: ${describe()}`);
  const file = join(cwd, RUN_LOG_FOLDER, `${json.run_id}.json`);
  if (!existsSync(file)) throw new Error(`no run log at ${file}: ${describe()}`);
  const runLog = JSON.parse(readFileSync(file, 'utf-8')) as RunLog;
  return { pipeline, args, cwd, exitCode: code, stdout, stderr, json, runId: json.run_id, runLog };
}

function spawnCli(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf-8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf-8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`runnable ${args.join(' ')} timed out after ${timeoutMs} ms\n${stderr.slice(-2000)}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const tested = new Set<string>();
/** Pipelines registered with useExample, for the "every example is tested" check. */
export const testedPipelines = (): ReadonlySet<string> => tested;

/**
 * Run an example once for the enclosing `describe` block; the returned function gives the
 * result to the tests. The working directory is removed afterwards unless KEEP_EXAMPLE_DIRS=1.
 */
export function useExample(pipeline: string, opts: RunOptions = {}): () => ExampleRun {
  tested.add(pipeline);
  let run: ExampleRun | undefined;
  beforeAll(async () => {
    run = await runExample(pipeline, opts);
  }, (opts.timeoutMs ?? 120_000) + 10_000);
  afterAll(() => {
    if (run && process.env['KEEP_EXAMPLE_DIRS'] !== '1') rmSync(run.cwd, { recursive: true, force: true });
  });
  return () => {
    if (!run) throw new Error(`${pipeline} did not run`);
    return run;
  };
}

// ---------------------------------------------------------------------------------------------
// Run-log navigation. runnable's datastore keys `RunLog.steps` by step name (the internal name
// at the top level), `StepLog.branches` by the branch's internal name (`map_state.1`) and
// `BranchLog.steps` by the step's internal name (`map_state.1.execute_shell`). Navigation
// here also accepts a BranchLog keyed by step name, so that this one convention is checked by
// one test (see examples.test.ts) rather than failing every test that looks inside a branch.

type StepContainer = { steps: Record<string, StepLog> };

/** The step log at a dot path, e.g. `map_state.1.execute_shell`. */
export function step(log: RunLog, internalName: string): StepLog {
  const segs = internalName.split('.');
  let current = log.steps[segs[0]!];
  if (!current) throw new Error(`no step '${segs[0]}' in the run log; steps: ${keys(log.steps)}`);
  for (let i = 1; i < segs.length; i += 2) {
    const branchName = segs.slice(0, i + 1).join('.');
    const b: BranchLog | undefined = current.branches?.[branchName];
    if (!b) throw new Error(`no branch '${branchName}' in step '${current.internal_name}'; branches: ${keys(current.branches)}`);
    const stepName = segs.slice(0, i + 2).join('.');
    const next: StepLog | undefined = b.steps?.[stepName] ?? b.steps?.[segs[i + 1]!];
    if (!next) throw new Error(`no step '${stepName}' in branch '${branchName}'; steps: ${keys(b.steps)}`);
    current = next;
  }
  return current;
}

/** The branch log at a dot path, e.g. `map_state.1` or `outer.branch1.map_step.2`. */
export function branch(log: RunLog, internalName: string): BranchLog {
  const cut = internalName.lastIndexOf('.');
  const parent = step(log, internalName.slice(0, cut));
  const b = parent.branches?.[internalName];
  if (!b) throw new Error(`no branch '${internalName}' in step '${parent.internal_name}'; branches: ${keys(parent.branches)}`);
  return b;
}

/** Internal names of the steps of a run or branch, in order. */
export const stepKeys = (c: StepContainer): string[] => Object.values(c.steps ?? {}).map((s) => s.internal_name);
export const branchKeys = (s: StepLog): string[] => Object.keys(s.branches ?? {});

function keys(o: Record<string, unknown> | undefined): string {
  return JSON.stringify(Object.keys(o ?? {}));
}

/** Every step log of the run, depth first. */
export function allSteps(log: RunLog): StepLog[] {
  const out: StepLog[] = [];
  const visit = (c: StepContainer) => {
    for (const s of Object.values(c.steps ?? {})) {
      out.push(s);
      for (const b of Object.values(s.branches ?? {})) visit(b);
    }
  };
  visit(log);
  return out;
}

/** Every branch log of the run, depth first. */
export function allBranches(log: RunLog): BranchLog[] {
  const out: BranchLog[] = [];
  const visit = (c: StepContainer) => {
    for (const s of Object.values(c.steps ?? {})) {
      for (const b of Object.values(s.branches ?? {})) {
        out.push(b);
        visit(b);
      }
    }
  };
  visit(log);
  return out;
}

/** `{name: value}` of a parameter map (`{name: {kind, value}}`). */
export function values(params: Parameters | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params ?? {}).map(([k, p]) => [k, p.value]));
}

/** `{name: kind}` of a parameter map. */
export function kinds(params: Parameters | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(params ?? {}).map(([k, p]) => [k, p.kind]));
}

/** The only attempt of a task step (the examples never retry). */
export function attempt(s: StepLog): StepAttempt {
  expect(s.attempts, `attempts of ${s.internal_name}`).toHaveLength(1);
  return s.attempts[0]!;
}

// ---------------------------------------------------------------------------------------------
// Catalog

export const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

export const catalogDir = (run: ExampleRun): string => join(run.cwd, CATALOG_FOLDER, run.runId);

/** Files of the run's catalog, relative to `.catalog/<run_id>/`, with `/` separators. */
export function catalogFiles(run: ExampleRun): string[] {
  const root = catalogDir(run);
  if (!existsSync(root)) return [];
  return listFiles(root).map((f) => relative(root, f).split(sep).join('/'));
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)],
  );
}

export const readCatalogFile = (run: ExampleRun, rel: string): string => readFileSync(join(catalogDir(run), rel), 'utf-8');

const isLog = (name: string): boolean => /\.log$/i.test(name);
const alnum = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/** The task log files in the run's catalog (named after their step; runnable: `<step><tag>.execution.log`). */
export function taskLogs(run: ExampleRun): { path: string; text: string }[] {
  return catalogFiles(run)
    .filter(isLog)
    .map((path) => ({ path, text: readCatalogFile(run, path) }));
}

/** Log files whose name contains the step name (compared on letters and digits only). */
export function logsOf(run: ExampleRun, stepName: string): { path: string; text: string }[] {
  const key = alnum(stepName);
  return taskLogs(run).filter((l) => alnum(l.path).includes(key));
}

/** Assert the catalog holds at least `count` log files of the step, each containing `contains`. */
export function expectTaskLogs(run: ExampleRun, stepName: string, contains: string, count = 1): void {
  const logs = logsOf(run, stepName);
  const matching = logs.filter((l) => l.text.includes(contains));
  expect(
    matching.length,
    `log files of '${stepName}' containing ${JSON.stringify(contains)} in ${catalogDir(run)}; catalog: ${JSON.stringify(catalogFiles(run))}`,
  ).toBeGreaterThanOrEqual(count);
}

/** A step's data_catalog entries for user files (task logs left out), sorted by stage then name. */
export function dataEntries(s: StepLog): DataCatalog[] {
  return (s.data_catalog ?? [])
    .filter((d) => !isLog(d.name))
    .sort((a, b) => a.stage.localeCompare(b.stage) || a.name.localeCompare(b.name));
}

// ---------------------------------------------------------------------------------------------
// Invariants every finished run satisfies

const FINAL = ['SUCCESS', 'FAIL'];

/** The JSON summary, exit code and run log agree, and the run log is well formed. */
export function expectWellFormedRun(run: ExampleRun): void {
  const { json, runLog } = run;
  expect(json.run_id).toMatch(/^[a-z0-9][a-z0-9-]*$/);
  expect(FINAL).toContain(json.status);
  expect(json.run_log, '--json has a run_log field').toBeDefined();
  if (json.run_log && typeof json.run_log === 'object') {
    expect((json.run_log as { run_id?: string }).run_id).toBe(json.run_id);
  } else {
    expect(String(json.run_log)).toContain(json.run_id);
  }
  expect(run.exitCode, 'exit code').toBe(json.status === 'SUCCESS' ? 0 : 1);

  expect(runLog.run_id).toBe(json.run_id);
  expect(runLog.status).toBe(json.status);
  expect(typeof runLog.dag_hash).toBe('string');
  expect(runLog.dag_hash.length).toBeGreaterThan(0);
  expect(runLog.parameters).toBeTypeOf('object');

  // names: top-level keys are step names; nested keys are internal (dot) names
  for (const [key, s] of Object.entries(runLog.steps)) {
    expect(s.internal_name).toBe(key);
    expect(s.name).toBe(key);
  }
  const checkBranches = (s: StepLog) => {
    for (const [bkey, b] of Object.entries(s.branches ?? {})) {
      expect(b.internal_name).toBe(bkey);
      expect(bkey.startsWith(`${s.internal_name}.`), `${bkey} is a branch of ${s.internal_name}`).toBe(true);
      expect(bkey.slice(s.internal_name.length + 1)).not.toContain('.');
      expect(FINAL, `status of branch ${bkey}`).toContain(b.status);
      for (const [skey, inner] of Object.entries(b.steps ?? {})) {
        expect(inner.internal_name).toBe(`${bkey}.${inner.name}`);
        expect([inner.internal_name, inner.name], `key of step ${inner.internal_name}`).toContain(skey);
        checkBranches(inner);
      }
    }
  };
  for (const s of Object.values(runLog.steps)) checkBranches(s);

  for (const s of allSteps(runLog)) {
    expect(FINAL, `status of step ${s.internal_name}`).toContain(s.status);
    if (s.step_type !== 'task') continue;
    expect(s.attempts.length, `attempts of ${s.internal_name}`).toBeGreaterThanOrEqual(1);
    for (const a of s.attempts) {
      expect(FINAL).toContain(a.status);
      const start = Date.parse(a.start_time);
      const end = Date.parse(a.end_time);
      expect(Number.isNaN(start), `start_time of ${s.internal_name}: ${a.start_time}`).toBe(false);
      expect(Number.isNaN(end), `end_time of ${s.internal_name}: ${a.end_time}`).toBe(false);
      expect(end).toBeGreaterThanOrEqual(start);
    }
    expect(s.status, `a task's status is its last attempt's`).toBe(s.attempts[s.attempts.length - 1]!.status);
  }
}

/** Assert a step's type and status. */
export function expectStep(log: RunLog, internalName: string, type: string, status: 'SUCCESS' | 'FAIL'): StepLog {
  const s = step(log, internalName);
  expect(s.step_type, `step_type of ${internalName}`).toBe(type);
  expect(s.status, `status of ${internalName}`).toBe(status);
  return s;
}
