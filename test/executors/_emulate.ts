/**
 * Helpers for the emulate / portability tests: run the built CLI in a fresh copy of examples/
 * under a given config, and reduce a run log to what must not depend on where steps ran.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, EXAMPLE_ENV, INITIAL_PARAMETERS, makeWorkdir, parseJsonSummary } from '../examples/_run.js';
import type { BranchLog, Parameters, RunLog, StepLog } from '../../src/runlog/types.js';

export { CLI, INITIAL_PARAMETERS, makeWorkdir };

/** The configs of the portability matrix, by name. */
export const CONFIGS: Record<string, string> = {
  local: '',
  'local max_parallel 4': 'pipeline-executor: {type: local, config: {max_parallel: 4}}\n',
  'emulate chunked-fs max_parallel 4': 'pipeline-executor: {type: emulate, config: {max_parallel: 4}}\nrun-log-store: {type: chunked-fs}\n',
  // file-system takes one writer at a time: emulate runs branches one by one whatever max_parallel says
  'emulate file-system': 'pipeline-executor: {type: emulate, config: {max_parallel: 4}}\nrun-log-store: {type: file-system}\n',
};

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('RUNNABLE_') || k === 'FORCE_COLOR') continue;
    env[k] = v;
  }
  return { ...env, NO_COLOR: '1', ...EXAMPLE_ENV, ...extra };
}

export function cli(args: string[], cwd: string, env: Record<string, string> = {}, timeoutMs = 900_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf-8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf-8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`runnable ${args.join(' ')} timed out\n${stderr.slice(-3000)}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface MatrixRun extends CliResult {
  config: string;
  cwd: string;
  runLog: RunLog;
}

const dirs: string[] = [];
export function cleanup(): void {
  if (process.env.KEEP_EXAMPLE_DIRS === '1') return;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** `runnable execute PIPELINE --json` in a fresh copy of examples/ under the named config. */
/** `params`: `-p` the examples' initial parameters (true) or this parameters file */
export async function runUnder(config: string, pipeline: string, opts: { params?: boolean | string; env?: Record<string, string> } = {}): Promise<MatrixRun> {
  const cwd = makeWorkdir();
  dirs.push(cwd);
  const args = ['execute', pipeline, '--json', ...(opts.params ? ['-p', typeof opts.params === 'string' ? opts.params : INITIAL_PARAMETERS] : [])];
  if (CONFIGS[config]) {
    writeFileSync(join(cwd, 'config.yaml'), CONFIGS[config]!);
    args.push('-c', 'config.yaml');
  }
  const result = await cli(args, cwd, opts.env);
  const json = parseJsonSummary(result.stdout);
  if (!json) throw new Error(`${config}: no --json summary from runnable ${args.join(' ')} (exit ${result.code})\n${result.stderr.slice(-3000)}`);
  return { ...result, config, cwd, runLog: json.run_log as RunLog };
}

/** A scratch directory removed by cleanup(). */
export function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'runnable-emulate-'));
  dirs.push(d);
  return d;
}

/**
 * What must be the same wherever the steps ran: the run's status and final parameters, every
 * step's type, status and number of attempts, every branch's status and parameters, by
 * internal name. (Not: times, code identities, messages, which carry paths and durations.)
 */
export function signature(log: RunLog) {
  const steps: Record<string, string> = {};
  const branches: Record<string, { status: string; parameters: Record<string, unknown> }> = {};
  const visit = (container: { steps: Record<string, StepLog> }) => {
    for (const s of Object.values(container.steps ?? {})) {
      steps[s.internal_name] = `${s.step_type} ${s.status} x${s.attempts.length}`;
      for (const b of Object.values(s.branches ?? {}) as BranchLog[]) {
        branches[b.internal_name] = { status: b.status, parameters: plain(b.parameters) };
        visit(b);
      }
    }
  };
  visit(log);
  return { status: log.status, parameters: plain(log.parameters), steps, branches };
}

const plain = (params: Parameters | undefined) => Object.fromEntries(Object.entries(params ?? {}).map(([k, p]) => [k, { kind: p.kind, value: p.value }]));

/** A row of the portability matrix: an example pipeline and how it ends under every executor. */
export interface MatrixCase {
  pipeline: string;
  /** run with examples/common/initial_parameters.yaml */
  params?: boolean;
  status: 'SUCCESS' | 'FAIL';
}

/** Every kind of example pipeline: sequential, on_failure, parameters, catalog, parallel, map, conditional, loop, nested. */
export const MATRIX_CASES: readonly MatrixCase[] = [
  { pipeline: 'examples/02-sequential/traversal.yaml', status: 'SUCCESS' },
  { pipeline: 'examples/02-sequential/on_failure_fail.yaml', status: 'FAIL' },
  { pipeline: 'examples/02-sequential/on_failure_succeed.yaml', status: 'SUCCESS' },
  { pipeline: 'examples/03-parameters/passing_parameters_typescript.yaml', status: 'SUCCESS' },
  { pipeline: 'examples/03-parameters/passing_parameters_shell.yaml', status: 'SUCCESS' },
  { pipeline: 'examples/04-catalog/catalog.yaml', status: 'SUCCESS' },
  { pipeline: 'examples/06-parallel/parallel.yaml', status: 'SUCCESS' },
  { pipeline: 'examples/06-parallel/parallel_branch_fail.yaml', status: 'FAIL' },
  { pipeline: 'examples/07-map/map.yaml', params: true, status: 'SUCCESS' },
  { pipeline: 'examples/07-map/map_fail.yaml', params: true, status: 'FAIL' },
  { pipeline: 'examples/07-map/custom_reducer.yaml', params: true, status: 'SUCCESS' },
  { pipeline: 'examples/02-sequential/conditional.yaml', status: 'SUCCESS' },
  { pipeline: 'examples/10-loop/simple_loop.yaml', status: 'SUCCESS' },
  { pipeline: 'examples/06-parallel/nesting.yaml', params: true, status: 'SUCCESS' },
];

/** One case of each kind, where each run costs seconds (containers). */
export const ONE_OF_EACH_KIND: readonly MatrixCase[] = MATRIX_CASES.filter((c) =>
  [
    'traversal',
    'on_failure_fail',
    'passing_parameters_typescript',
    'catalog',
    'parallel',
    'map',
    'conditional',
    'simple_loop',
    'nesting',
  ].some((name) => c.pipeline.endsWith(`/${name}.yaml`)),
);
