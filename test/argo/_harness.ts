/**
 * Helpers for the Argo tests: compile an example under the `argo` executor with the built CLI
 * (as a user would), validate the manifest strictly against the official schema, run it in the
 * test interpreter (./_interpreter.ts) with the PersistentVolumeClaim as a folder of the test,
 * and read the run log the pods left on it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { expect } from 'vitest';
import { argoProblem } from '../../src/executors/argo/schema.js';
import type { RunLog, StepLog, BranchLog } from '../../src/runlog/types.js';
import { INITIAL_PARAMETERS, parseJsonSummary } from '../examples/_run.js';
import { cleanEnv, cli, makeWorkdir } from '../executors/_emulate.js';
import { runWorkflow, type InterpreterOptions, type WorkflowRun } from './_interpreter.js';

let runs = 0;
/** A run id no other test process uses at the same time (retry stops a run id's stray processes). */
export const uniqueRunId = (prefix: string): string => `${prefix}-${process.pid}-${++runs}`;

/** The claim the pods share, and where the tests keep it. */
export const CLAIM = 'runnable';
export const PVC_DIR = '.pvc';

/** An argo config with the keys the tests need; `extra` is appended under `config:`. */
export function argoConfig(extra = '', store = 'chunked-fs'): string {
  return `pipeline-executor:
  type: argo
  config:
    pvc_for_runnable: ${CLAIM}
    output_file: argo-pipeline.yaml
    defaults:
      image: localhost/runnable-ts-node:latest
${extra}run-log-store:
  type: ${store}
`;
}

export interface Compiled {
  cwd: string;
  manifest: Record<string, any>;
  stdout: string;
  stderr: string;
}

/** `runnable execute PIPELINE -c argo.yaml` in `cwd` (a fresh copy of examples/ by default); the manifest is valid. */
export async function compile(pipeline: string, opts: { config?: string; params?: boolean | string; cwd?: string; env?: Record<string, string> } = {}): Promise<Compiled> {
  const cwd = opts.cwd ?? makeWorkdir();
  writeFileSync(join(cwd, 'argo.yaml'), opts.config ?? argoConfig());
  const params = opts.params === true ? INITIAL_PARAMETERS : opts.params || undefined;
  const r = await cli(['execute', pipeline, '-c', 'argo.yaml', ...(params ? ['-p', params] : [])], cwd, opts.env);
  if (r.code !== 0) throw new Error(`compiling ${pipeline} exited ${r.code}\n${r.stderr}`);
  const file = /to (\S+) \(nothing ran\)/.exec(r.stderr)?.[1] ?? 'argo-pipeline.yaml';
  const manifest = parse(readFileSync(join(cwd, file), 'utf8')) as Record<string, any>;
  expectValid(manifest);
  return { cwd, manifest, stdout: r.stdout, stderr: r.stderr };
}

/** The manifest passes the official Argo schema with unknown fields as errors. */
export function expectValid(manifest: Record<string, unknown>): void {
  expect(argoProblem(manifest.kind === 'CronWorkflow' ? 'CronWorkflow' : 'Workflow', manifest) ?? 'valid').toBe('valid');
}

export interface Interpreted extends WorkflowRun {
  runLog: RunLog | undefined;
}

/** Runs the manifest in the interpreter under `runId`, then reads the run log from the claim. */
export async function interpret(c: Compiled, runId: string, opts: Partial<InterpreterOptions> = {}): Promise<Interpreted> {
  const run = await runWorkflow(c.manifest, {
    cwd: c.cwd,
    claims: { [CLAIM]: join(c.cwd, PVC_DIR) },
    arguments: { run_id: runId, ...opts.arguments },
    env: cleanEnv(),
    ...opts,
  });
  return { ...run, runLog: await runLogOnClaim(c.cwd, runId) };
}

/** The run log on the claim, read with the CLI (`runs show --json`), undefined if there is none. */
export function runLogOnClaim(cwd: string, runId: string): Promise<RunLog | undefined> {
  return shownRunLog(cwd, runId, `run-log-store: {type: chunked-fs, config: {log_folder: ${PVC_DIR}/run-log-store}}\ncatalog: {type: file-system, config: {catalog_location: ${PVC_DIR}/catalog}}\n`);
}

/** The run log as `runs show --json` gives it under the stores of `config`, undefined if there is none. */
export async function shownRunLog(cwd: string, runId: string, config: string, env: Record<string, string> = {}): Promise<RunLog | undefined> {
  writeFileSync(join(cwd, 'view.yaml'), config);
  const r = await cli(['runs', 'show', runId, '--json', '-c', 'view.yaml'], cwd, env);
  if (r.code !== 0) return undefined;
  return (parseJsonSummary(r.stdout) as unknown as RunLog | undefined) ?? (JSON.parse(r.stdout) as RunLog);
}

/**
 * sha256 of every catalog entry, by step and name: what must match between executors. Step logs
 * (`.logs/`) and executed notebooks (`*_out.ipynb`: nbclient records each cell's execution
 * times in them) differ from run to run under any executor, so they are left out.
 */
export function catalogHashes(log: RunLog): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (c: { steps: Record<string, StepLog> }) => {
    for (const s of Object.values(c.steps ?? {})) {
      for (const d of s.data_catalog ?? []) if (!d.name.startsWith('.logs/') && !d.name.endsWith('_out.ipynb')) out[`${s.internal_name} ${d.stage} ${d.name}`] = d.data_hash;
      for (const b of Object.values(s.branches ?? {}) as BranchLog[]) visit(b);
    }
  };
  visit(log);
  return out;
}
