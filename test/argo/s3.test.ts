/**
 * Argo with object storage and no shared disk: with `chunked-s3` and the `s3` catalog the
 * workflow needs no PersistentVolumeClaim (none is declared or mounted), each pod builds the
 * stores from the same config and reaches the bucket itself, its credentials from Kubernetes
 * secrets through `env` entries (`secretName`/`secretKey`), never in the manifest. The test
 * interpreter (./_interpreter.ts, standing in for an Argo controller) runs every pod as a real
 * `runnable` process against s3rver on loopback; the run ends as under `local`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cleanEnv, cleanup, runUnder, signature } from '../executors/_emulate.js';
import { startS3, type TestS3 } from '../_s3.js';
import { catalogHashes, compile, shownRunLog, uniqueRunId } from './_harness.js';
import { runWorkflow } from './_interpreter.js';

const SECRET = 'argo-s3-s3cret-5d1e';
const connection = 'endpoint_url: "${S3_ENDPOINT}", aws_access_key_id: "${S3_KEY}", aws_secret_access_key: "${S3_SECRET}"';
const stores = `run-log-store: {type: chunked-s3, config: {bucket: argo/logs, ${connection}}}\ncatalog: {type: s3, config: {bucket: argo/data, ${connection}}}\n`;

let s3: TestS3;
let env: Record<string, string>;
beforeAll(async () => {
  s3 = await startS3(['argo']);
  env = { S3_ENDPOINT: s3.endpoint, S3_KEY: 'S3RVER', S3_SECRET: SECRET };
}, 60_000);
afterAll(async () => {
  cleanup();
  await s3.close();
});

function argoS3Config(): string {
  return `pipeline-executor:
  type: argo
  config:
    output_file: argo-pipeline.yaml
    defaults:
      image: localhost/runnable-ts-node:latest
      env:
        - {name: S3_ENDPOINT, value: "${s3.endpoint}"}
        - {name: S3_KEY, secretName: s3, secretKey: key}
        - {name: S3_SECRET, secretName: s3, secretKey: secret}
${stores}`;
}

const CASES = [
  { pipeline: 'examples/04-catalog/catalog.yaml', params: false },
  { pipeline: 'examples/07-map/map.yaml', params: true },
];

describe.each(CASES)('$pipeline on chunked-s3 + s3 catalog', (c) => {
  test('compiles without a PersistentVolumeClaim and runs in the interpreter to the same result as local', async () => {
    const local = await runUnder('local', c.pipeline, { params: c.params });
    const compiled = await compile(c.pipeline, { config: argoS3Config(), params: c.params, env });
    const text = readFileSync(join(compiled.cwd, 'argo-pipeline.yaml'), 'utf8');
    expect(text).not.toContain('persistentVolumeClaim');
    expect(text).not.toContain(SECRET);

    const runId = uniqueRunId('argo-s3');
    const run = await runWorkflow(compiled.manifest, { cwd: compiled.cwd, claims: {}, arguments: { run_id: runId }, env: cleanEnv(), secrets: { s3: { key: 'S3RVER', secret: SECRET } } });
    const failed = run.pods.filter((p) => p.phase !== 'Succeeded').map((p) => `${p.template}: ${p.stderr.slice(-400)}`);
    expect(run.phase, failed.join('\n')).toBe('Succeeded');
    // nothing of the run on the disk the pods share: it is all in the bucket
    expect(existsSync(join(compiled.cwd, '.run_log_store')) || existsSync(join(compiled.cwd, '.catalog'))).toBe(false);

    const log = await shownRunLog(compiled.cwd, runId, stores, env);
    expect(log?.status).toBe('SUCCESS');
    expect(signature(log!)).toEqual(signature(local.runLog));
    expect(catalogHashes(log!)).toEqual(catalogHashes(local.runLog));
    expect(JSON.stringify(log)).not.toContain(SECRET);
  }, 900_000);
});
