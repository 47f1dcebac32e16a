/**
 * Argo with object storage and no shared disk: with `chunked-s3` and the `s3` catalog the
 * workflow needs no PersistentVolumeClaim (none is declared or mounted), each pod builds the
 * stores from the same config and reaches the bucket itself, its credentials from Kubernetes
 * secrets through `env` entries (`secretName`/`secretKey`), never in the manifest. The test
 * interpreter (./_interpreter.ts, standing in for an Argo controller) runs every pod as a real
 * `runnable` process against s3rver on loopback; the run ends as under `local`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { INITIAL_PARAMETERS, parseJsonSummary } from '../examples/_run.js';
import { cleanEnv, cleanup, cli, makeWorkdir, runUnder, signature } from '../executors/_emulate.js';
import type { RunLog } from '../../src/runlog/types.js';
import { startS3, type TestS3 } from '../_s3.js';
import { catalogHashes, expectValid, uniqueRunId } from './_harness.js';
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
    const cwd = makeWorkdir();
    writeFileSync(join(cwd, 'argo.yaml'), argoS3Config());
    const compiled = await cli(['execute', c.pipeline, '-c', 'argo.yaml', ...(c.params ? ['-p', INITIAL_PARAMETERS] : [])], cwd, env);
    expect(compiled.code, compiled.stderr).toBe(0);
    const text = readFileSync(join(cwd, 'argo-pipeline.yaml'), 'utf8');
    const manifest = parse(text) as Record<string, any>;
    expectValid(manifest);
    expect(text).not.toContain('persistentVolumeClaim');
    expect(text).not.toContain(SECRET);

    const runId = uniqueRunId('argo-s3');
    const run = await runWorkflow(manifest, { cwd, claims: {}, arguments: { run_id: runId }, env: cleanEnv(), secrets: { s3: { key: 'S3RVER', secret: SECRET } } });
    const failed = run.pods.filter((p) => p.phase !== 'Succeeded').map((p) => `${p.template}: ${p.stderr.slice(-400)}`);
    expect(run.phase, failed.join('\n')).toBe('Succeeded');
    // nothing of the run on the disk the pods share: it is all in the bucket
    expect(existsSync(join(cwd, '.run_log_store')) || existsSync(join(cwd, '.catalog'))).toBe(false);

    writeFileSync(join(cwd, 'view.yaml'), stores);
    const shown = await cli(['runs', 'show', runId, '--json', '-c', 'view.yaml'], cwd, env);
    expect(shown.code, shown.stderr).toBe(0);
    const log = (parseJsonSummary(shown.stdout) as unknown as RunLog | undefined) ?? (JSON.parse(shown.stdout) as RunLog);
    expect(log.status).toBe('SUCCESS');
    expect(signature(log)).toEqual(signature(local.runLog));
    expect(catalogHashes(log)).toEqual(catalogHashes(local.runLog));
    expect(JSON.stringify(log)).not.toContain(SECRET);
  }, 900_000);
});
