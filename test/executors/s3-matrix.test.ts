/**
 * The portability matrix on object storage: every kind of example pipeline (the shared
 * MATRIX_CASES), and the other core examples, give the same step and branch statuses, attempts
 * and parameters with the `s3` / `chunked-s3` run-log stores and the `s3` catalog as on the local
 * disk, under `local` with `max_parallel` and under `emulate` (every step in its own process,
 * meeting the others only through the bucket). The server is s3rver on loopback; the config reads
 * endpoint and credentials as `${VAR}`, so the test also sees that the run log keeps them
 * unexpanded and that nothing was written to the working directory's default store folders.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIGS, MATRIX_CASES, cleanup, runUnder, signature, type MatrixCase, type MatrixRun } from './_emulate.js';
import { startS3, type TestS3 } from '../_s3.js';

const connection = 'endpoint_url: "${S3_ENDPOINT}", aws_access_key_id: "${S3_KEY}", aws_secret_access_key: "${S3_SECRET}"';
const stores = (store: string) =>
  `run-log-store: {type: ${store}, config: {bucket: matrix-logs/team, ${connection}}}\ncatalog: {type: s3, config: {bucket: matrix-data, ${connection}}}\n`;

const S3_CONFIGS: Record<string, string> = {
  'local s3 max_parallel 4': `pipeline-executor: {type: local, config: {max_parallel: 4}}\n${stores('s3')}`,
  'local chunked-s3 max_parallel 4': `pipeline-executor: {type: local, config: {max_parallel: 4}}\n${stores('chunked-s3')}`,
  'emulate chunked-s3 max_parallel 4': `pipeline-executor: {type: emulate, config: {max_parallel: 4}}\n${stores('chunked-s3')}`,
  // a single-writer store: emulate runs branches one at a time
  'emulate s3': `pipeline-executor: {type: emulate, config: {max_parallel: 4}}\n${stores('minio')}`,
};
Object.assign(CONFIGS, S3_CONFIGS);

/** The core examples beyond the matrix (TypeScript, shell, Python and notebook tasks; the catalog's other cases), under two of the configs. */
const MORE: readonly MatrixCase[] = [
  { pipeline: 'examples/01-tasks/typescript_tasks.yaml', status: 'SUCCESS' },
  { pipeline: 'examples/01-tasks/scripts.yaml', status: 'SUCCESS' },
  { pipeline: 'examples/01-tasks/stub.yaml', status: 'SUCCESS' },
  { pipeline: 'examples/01-tasks/notebook.yaml', status: 'SUCCESS' },
  { pipeline: 'examples/02-sequential/default_fail.yaml', status: 'FAIL' },
  { pipeline: 'examples/02-sequential/conditional_rollback.yaml', status: 'SUCCESS' },
  { pipeline: 'examples/03-parameters/static_parameters_typescript.yaml', params: true, status: 'SUCCESS' },
  { pipeline: 'examples/03-parameters/static_parameters_fail.yaml', params: true, status: 'SUCCESS' },
  { pipeline: 'examples/03-parameters/passing_parameters_python.yaml', status: 'SUCCESS' },
  { pipeline: 'examples/04-catalog/catalog_no_copy.yaml', status: 'SUCCESS' },
  { pipeline: 'examples/04-catalog/catalog_on_fail.yaml', status: 'SUCCESS' },
  { pipeline: 'examples/06-parallel/parallel_rollback.yaml', status: 'SUCCESS' },
  { pipeline: 'examples/07-map/dynamic_map.yaml', status: 'SUCCESS' },
];

let s3: TestS3;
let env: Record<string, string>;
beforeAll(async () => {
  s3 = await startS3(['matrix-logs', 'matrix-data']);
  env = { S3_ENDPOINT: s3.endpoint, S3_KEY: 'S3RVER', S3_SECRET: 'S3RVER' };
});
afterAll(async () => {
  cleanup();
  await s3.close();
});

const rows: (MatrixCase & { configs: string[] })[] = [
  ...MATRIX_CASES.map((c) => ({ ...c, configs: Object.keys(S3_CONFIGS) })),
  ...MORE.map((c) => ({ ...c, configs: ['local s3 max_parallel 4', 'emulate chunked-s3 max_parallel 4'] })),
];

describe.each(rows)('$pipeline', (c) => {
  const configs = c.configs;
  const runs: Record<string, MatrixRun> = {};
  beforeAll(async () => {
    const names = ['local', ...configs];
    const results = await Promise.all(names.map((name) => runUnder(name, c.pipeline, { params: c.params, env })));
    names.forEach((name, i) => (runs[name] = results[i]!));
  }, 1_800_000);

  it('ends as expected on the local disk', () => {
    const local = runs.local!;
    expect(local.runLog.status, local.stderr.slice(-2000)).toBe(c.status);
  });

  for (const name of configs) {
    it(`gives the same statuses and parameters under ${name}, through the bucket alone`, () => {
      const run = runs[name]!;
      expect(run.code, run.stderr.slice(-3000)).toBe(c.status === 'SUCCESS' ? 0 : 1);
      expect(signature(run.runLog)).toEqual(signature(runs.local!.runLog));
      const recorded = run.runLog.run_config as Record<string, { type: string; config: Record<string, unknown> }>;
      expect(recorded['run-log-store']!.config.aws_secret_access_key).toBe('${S3_SECRET}');
      expect(recorded.catalog!.type).toBe('s3');
      expect(existsSync(join(run.cwd, '.run_log_store')) || existsSync(join(run.cwd, '.catalog'))).toBe(false);
      expect(run.stderr).not.toMatch(/NodeVersionSupportWarning/);
    });
  }
});
