/**
 * Object storage under the executors whose steps run in other processes that share no disk with
 * the runner but the working directory: `local-container` (real podman containers, host network,
 * so the loopback endpoint is reachable) and `slurm` (the real single-node cluster). The steps
 * build the S3 stores from the same config and reach s3rver themselves; the endpoint and the
 * credentials reach them through the environment variables the config names (`${VAR}`), never
 * on a command line or in a job script, and they never land in the run log.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIGS, cleanup, runUnder, signature, type MatrixRun } from './_emulate.js';
import { IMAGE, ensureImage } from './_container.js';
import { REPO } from '../examples/_run.js';
import { startS3, type TestS3 } from '../_s3.js';

const SECRET = 'distinct-s3cret-value-7f3a';
const connection = 'endpoint_url: "${S3_ENDPOINT}", aws_access_key_id: "${S3_KEY}", aws_secret_access_key: "${S3_SECRET}"';
const stores = `run-log-store: {type: chunked-s3, config: {bucket: elsewhere/logs, ${connection}}}\ncatalog: {type: s3, config: {bucket: elsewhere/data, ${connection}}}\n`;
// a checkout whose node_modules is a link to another tree (a git worktree): the containers need that tree too
const modules = realpathSync(join(REPO, 'node_modules'));
const moduleMount = modules.startsWith(realpathSync(REPO)) ? '' : `, run_options: ["--volume=${modules}:${modules}:ro"]`;
CONFIGS['local-container s3'] = `pipeline-executor: {type: local-container, config: {docker_image: ${IMAGE}, max_parallel: 4, environment: {FIX_RANDOM_TOSS: heads}${moduleMount}}}\n${stores}`;
CONFIGS['slurm s3'] = `pipeline-executor: {type: slurm, config: {poll_interval: 0.25}}\n${stores}`;

const CASES = [
  { pipeline: 'examples/04-catalog/catalog.yaml', params: false },
  { pipeline: 'examples/07-map/map.yaml', params: true },
];

let s3: TestS3;
let env: Record<string, string>;
beforeAll(async () => {
  s3 = await startS3(['elsewhere']);
  env = { S3_ENDPOINT: s3.endpoint, S3_KEY: 'S3RVER', S3_SECRET: SECRET };
}, 60_000);
afterAll(async () => {
  cleanup();
  await s3.close();
});

/** every file under `dir` holding `text` */
function filesContaining(dir: string, text: string): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, name);
    if (statSync(path).isFile() && readFileSync(path, 'utf8').includes(text)) found.push(name);
  }
  return found;
}

function expectSameAsLocal(run: MatrixRun, local: MatrixRun): void {
  expect(run.code, run.stderr.slice(-3000)).toBe(0);
  expect(signature(run.runLog)).toEqual(signature(local.runLog));
  expect(existsSync(join(run.cwd, '.run_log_store')) || existsSync(join(run.cwd, '.catalog'))).toBe(false);
  expect(JSON.stringify(run.runLog)).not.toContain(SECRET);
  expect(run.stdout + run.stderr).not.toContain(SECRET);
}

describe('local-container with chunked-s3 and the s3 catalog', () => {
  beforeAll(() => ensureImage(), 600_000);
  for (const c of CASES) {
    it(`${c.pipeline}: the same statuses and parameters as local`, async () => {
      const [local, run] = await Promise.all([runUnder('local', c.pipeline, { params: c.params }), runUnder('local-container s3', c.pipeline, { params: c.params, env })]);
      expectSameAsLocal(run, local);
    }, 900_000);
  }
});

describe('slurm with chunked-s3 and the s3 catalog', () => {
  beforeAll(() => {
    execFileSync('bash', [join(REPO, 'scripts', 'slurm-up.sh')], { stdio: 'pipe', timeout: 120_000 });
  }, 180_000);
  for (const c of CASES) {
    it(`${c.pipeline}: the same statuses and parameters as local; no job script holds the credentials`, async () => {
      const [local, run] = await Promise.all([runUnder('local', c.pipeline, { params: c.params }), runUnder('slurm s3', c.pipeline, { params: c.params, env })]);
      expectSameAsLocal(run, local);
      expect(existsSync(join(run.cwd, '.slurm_logs'))).toBe(true);
      expect(filesContaining(join(run.cwd, '.slurm_logs'), SECRET)).toEqual([]);
    }, 900_000);
  }
});

// the config files the steps read name the variables, not their values
it('the configs hold ${VAR}, not values', () => {
  for (const name of ['local-container s3', 'slurm s3']) expect(CONFIGS[name]).not.toContain(SECRET);
  writeFileSync('/dev/null', '');
});
