/**
 * Helpers for the SDK tests: fresh working directories, a clean environment, and the parts of
 * a run log that two runs of twin pipelines must share (statuses by internal name, parameters).
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { executePipeline } from '../../src/runner/execute.js';
import type { BranchLog, Parameters, RunLog, StepLog } from '../../src/runlog/types.js';
import { HERE } from '../fixtures/sdk/twins.js';

export { HERE };
export const YAML_DIR = join(HERE, 'yaml');

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh, empty ES-module project directory. */
export function tmpProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'runnable-sdk-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'sdk-test', private: true, type: 'module' }));
  return dir;
}

/** The environment of a run: the test's own, minus anything that could configure runnable. */
import { cleanEnv } from '../engine/_helpers.js';

export { cleanEnv };

export const yamlText = (file: string): string => readFileSync(join(YAML_DIR, file), 'utf8');

/** Runs a YAML twin as a user would: the YAML and the fixture functions in a fresh directory. */
export async function runYamlTwin(file: string): Promise<RunLog> {
  const cwd = tmpProject();
  writeFileSync(join(cwd, 'pipeline.yaml'), yamlText(file));
  copyFileSync(join(HERE, 'functions.ts'), join(cwd, 'functions.ts'));
  const result = await executePipeline({ pipeline: 'pipeline.yaml', cwd, env: cleanEnv() });
  return result.runLog;
}

/** `internal_name -> status` of every step and branch, depth first. */
export function statuses(log: { steps: Record<string, StepLog> }): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (steps: Record<string, StepLog>) => {
    for (const step of Object.values(steps)) {
      out[step.internal_name] = step.status;
      for (const branch of Object.values(step.branches) as BranchLog[]) {
        out[branch.internal_name] = branch.status;
        visit(branch.steps);
      }
    }
  };
  visit(log.steps);
  return out;
}

/** `{name: value}` of `{name: {kind, value}}`, with the kinds kept apart. */
export function values(params: Parameters): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params).map(([k, p]) => [k, `${p.kind}:${JSON.stringify(p.value)}`]));
}
