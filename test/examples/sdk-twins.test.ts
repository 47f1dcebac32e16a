/**
 * Every SDK example (`examples/<group>/<name>.ts`) is the twin of the YAML example next to it
 * (`<name>.yaml`): both run through the built CLI, as a user runs them (`runnable execute` for
 * pipelines, `runnable execute-job` for 11-jobs), each in a fresh copy of examples/ where the
 * package `runnable-ts` is installed, and they must end with the same exit code, status,
 * `dag_hash`, step and branch statuses and final parameters (jobs: the same `job` section).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunLog, StepLog } from '../../src/runlog/types.js';
import { runCli, type CliRun } from './_cli.js';
import { INITIAL_PARAMETERS, REPO } from './_run.js';

/** The core YAML examples that have an SDK twin (11-jobs: job files). */
const CORE = [
  '01-tasks/typescript_tasks', '01-tasks/scripts', '01-tasks/stub',
  '02-sequential/traversal', '02-sequential/default_fail', '02-sequential/on_failure_fail', '02-sequential/on_failure_succeed',
  '02-sequential/conditional', '02-sequential/conditional_rollback',
  '03-parameters/static_parameters_typescript', '03-parameters/static_parameters_non_python', '03-parameters/static_parameters_fail',
  '03-parameters/passing_parameters_typescript', '03-parameters/passing_parameters_shell',
  '04-catalog/catalog', '04-catalog/catalog_no_copy', '04-catalog/catalog_on_fail',
  '06-parallel/parallel', '06-parallel/nesting', '06-parallel/parallel_branch_fail', '06-parallel/parallel_rollback', '06-parallel/parallel_conflict',
  '07-map/map', '07-map/custom_reducer', '07-map/map_fail', '07-map/dynamic_map',
  '10-loop/simple_loop', '10-loop/max_iterations_loop',
  '11-jobs/typescript_tasks', '11-jobs/scripts', '11-jobs/python_tasks', '11-jobs/catalog', '11-jobs/catalog_no_copy',
  '11-jobs/passing_parameters_typescript', '11-jobs/failing', '11-jobs/notebooks',
];
/** run with `-p examples/common/initial_parameters.yaml` */
const WITH_PARAMS = new Set([
  '03-parameters/static_parameters_typescript', '03-parameters/static_parameters_non_python', '03-parameters/static_parameters_fail',
  '06-parallel/nesting', '07-map/map', '07-map/custom_reducer', '07-map/map_fail',
]);
const CONCURRENCY = 4;

const EXAMPLES = join(REPO, 'examples');
const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
/** `group/name` of every SDK example with a YAML twin */
const twins = walk(EXAMPLES)
  .filter((f) => f.endsWith('.ts') && existsSync(f.replace(/\.ts$/, '.yaml')))
  .map((f) => relative(EXAMPLES, f).split(sep).join('/').replace(/\.ts$/, ''))
  .sort();

const runs = new Map<string, CliRun>();

beforeAll(async () => {
  const queue = twins.flatMap((t) => [`${t}.yaml`, `${t}.ts`]);
  const worker = async () => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const name = file.replace(/\.(ts|yaml)$/, '');
      const args = WITH_PARAMS.has(name) ? ['-p', INITIAL_PARAMETERS] : [];
      runs.set(file, await runCli(file, args));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}, 900_000);

/** `internal name -> status` of every step and branch, depth first. */
function statuses(steps: Record<string, StepLog>, out: Record<string, string> = {}): Record<string, string> {
  for (const step of Object.values(steps)) {
    out[step.internal_name] = step.status;
    for (const branch of Object.values(step.branches)) {
      out[branch.internal_name] = branch.status;
      statuses(branch.steps, out);
    }
  }
  return out;
}

it('every core YAML example has an SDK twin, and every twin is tested', () => {
  expect(twins).toEqual([...CORE].sort());
});

describe.each(twins)('%s', (name) => {
  const yaml = () => runs.get(`${name}.yaml`)!;
  const sdk = () => runs.get(`${name}.ts`)!;

  it('ends as its YAML twin: exit code, status, dag_hash', () => {
    expect(sdk().code, sdk().stderr.slice(-2000)).toBe(yaml().code);
    expect(sdk().log.status).toBe(yaml().log.status);
    expect(sdk().log.dag_hash).toBe(yaml().log.dag_hash);
    expect(sdk().log.run_config).not.toHaveProperty('pipeline', `examples/${name}.yaml`);
  });

  it('has the same step and branch statuses and final parameters', () => {
    expect(statuses(sdk().log.steps)).toEqual(statuses(yaml().log.steps));
    expect(sdk().log.parameters).toEqual(yaml().log.parameters);
  });

  if (name.startsWith('11-jobs/')) {
    it('has the same job section', () => {
      const shape = (log: RunLog) => ({
        status: log.job?.status,
        attempts: log.job?.attempts.map((a) => [a.status, a.output_parameters, a.user_defined_metrics]),
        data_catalog: log.job?.data_catalog.map((d) => [d.name, d.data_hash, d.stage]),
      });
      expect(yaml().log.job).toBeDefined();
      expect(shape(sdk().log)).toEqual(shape(yaml().log));
    });
  }
});
