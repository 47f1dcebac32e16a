/**
 * runnable's own config files run unchanged where the feature exists here, or fail with exit 2
 * naming what is not supported. The configs below are written with exactly the keys of
 * runnable's examples/configs/*.yaml (AstraZeneca/runnable, Apache-2.0), copied by hand without
 * their comments; the object-storage, Argo and container configs are tested with their stores
 * and executors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, readRunLog, workdir } from '../engine/_helpers.js';

const CONFIGS: Record<string, string> = {
  'default.yaml': 'pipeline-executor:\n  type: local\nrun-log-store:\n  type: file-system\ncatalog:\n  type: file-system\nsecrets:\n  type: env-secrets\n',
  'in-memory.yaml':
    'pipeline-executor:\n  type: local\n  config:\n    object_serialisation: false\nrun-log-store:\n  type: buffered\ncatalog:\n  type: do-nothing\nsecrets:\n  type: do-nothing\n',
  'parallel_enabled.yaml':
    'pipeline-executor:\n  type: local\n  config:\n    enable_parallel: true\nrun-log-store:\n  type: chunked-fs\ncatalog:\n  type: file-system\nsecrets:\n  type: env-secrets\n',
  'parallel_with_warning.yaml':
    'pipeline-executor:\n  type: local\n  config:\n    enable_parallel: true\nrun-log-store:\n  type: file-system\ncatalog:\n  type: file-system\nsecrets:\n  type: env-secrets\n',
  'emulate.yaml': 'pipeline-executor:\n  type: emulator\n',
  'chunked-fs-run_log.yaml': 'run-log-store:\n  type: chunked-fs\n',
  'dotenv.yaml': 'secrets:\n  type: dotenv\n  config:\n    location: examples/secrets.env\n',
  'retry-config.yaml': 'pipeline-executor:\n  type: retry\n  config:\n    run_id: parallel-fail\ncatalog:\n  type: file-system\nrun-log-store:\n  type: file-system\n',
  'minio.yaml': 'catalog:\n  type: minio\n  config:\n    bucket: catalog\nrun-log-store:\n  type: minio\n  config:\n    bucket: run-logs\n',
  'chunked-minio.yaml': 'catalog:\n  type: minio\n  config:\n    bucket: catalog\nrun-log-store:\n  type: chunked-minio\n  config:\n    bucket: run-logs\n',
};

// an object that v8 cannot serialise (a function): only object_serialisation: false keeps it
const FUNCS = `
export function make() { return { scale: (x) => x * 3 }; }
export function use(model, item) { return model.scale(item); }
`;

const PIPELINE = `dag:
  start_at: make
  steps:
    make: {type: task, command: funcs.ts:make, returns: [{name: model, kind: object}], next: fan}
    fan:
      type: parallel
      next: tagged
      branches:
        a: {start_at: s, steps: {s: {type: task, command_type: shell, command: 'export a=1', returns: [a], next: success}}}
        b: {start_at: s, steps: {s: {type: task, command_type: shell, command: 'export b=2', returns: [b], next: success}}}
    tagged:
      type: task
      command_type: shell
      secrets: [API_KEY]
      command: 'echo "tag=$RUNNABLE_RUN_TAG retry=\${RUNNABLE_RETRY_RUN_ID:-none} key=\${#API_KEY}"; test -e go || exit 3'
      next: success
`;

function project(config: string, pipeline = PIPELINE): string {
  return workdir({ 'funcs.ts': FUNCS, 'pipeline.yaml': pipeline, 'runnable-config.yaml': CONFIGS[config]!, 'examples/secrets.env': 'API_KEY=abc\n', go: '' });
}

const SIMPLE = `dag:
  start_at: fan
  steps:
    fan:
      type: parallel
      next: success
      branches:
        a: {start_at: s, steps: {s: {type: task, command_type: shell, command: 'export a=1', returns: [a], next: success}}}
        b: {start_at: s, steps: {s: {type: task, command_type: shell, command: 'export b=2', returns: [b], next: success}}}
`;

describe("runnable's example configs", () => {
  for (const name of ['default.yaml', 'parallel_enabled.yaml', 'parallel_with_warning.yaml', 'chunked-fs-run_log.yaml', 'dotenv.yaml']) {
    it(`${name} runs a pipeline unchanged`, async () => {
      const cwd = project(name, SIMPLE);
      const r = await cli(['execute', 'pipeline.yaml', '--json'], cwd, { API_KEY: 'abc' }, 120_000);
      expect(r.stderr).not.toMatch(/error/i);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!).status).toBe('SUCCESS');
    });
  }

  it('emulate.yaml (type emulator) runs each step in its own process', async () => {
    const cwd = project('emulate.yaml', SIMPLE);
    const r = await cli(['execute', 'pipeline.yaml', '--json'], cwd, {}, 180_000);
    expect(r.code).toBe(0);
    const log = readRunLog(cwd, JSON.parse(r.stdout.trim().split('\n').at(-1)!).run_id);
    expect(log.run_config['pipeline-executor']).toEqual({ type: 'emulator', config: {} });
    expect(log.parameters).toEqual({ a: { kind: 'json', value: 1 }, b: { kind: 'json', value: 2 } });
  });

  it('in-memory.yaml keeps objects unserialised, and do-nothing secrets give empty values', async () => {
    const cwd = project('in-memory.yaml', PIPELINE.replace('next: fan}', 'next: use}').replace(
      '    fan:\n',
      '    use: {type: task, command: funcs.ts:use, returns: [scaled], next: fan}\n    fan:\n',
    ));
    const ok = await cli(['execute', 'pipeline.yaml', '--json', '--tag', 'nightly'], cwd, { RUNNABLE_PRM_item: '7' }, 120_000);
    expect(ok.stderr).toContain('tag=nightly retry=none key=0');
    expect(ok.code).toBe(0);
    const summary = JSON.parse(ok.stdout.trim().split('\n').at(-1)!);
    expect(summary.status).toBe('SUCCESS');
    expect(summary.run_log.parameters.scaled).toEqual({ kind: 'json', value: 21 });
  });

  it('steps see RUNNABLE_RUN_TAG, and RUNNABLE_RETRY_RUN_ID under retry', async () => {
    const cwd = project('default.yaml', `dag:\n  start_at: tagged\n  steps:\n${PIPELINE.slice(PIPELINE.indexOf('    tagged:\n'))}`);
    const { rmSync } = await import('node:fs');
    rmSync(join(cwd, 'go'));
    const first = await cli(['execute', 'pipeline.yaml', '--json', '--tag', 'exp-1', '--run-id', 'tagged-run'], cwd, { API_KEY: 'abc' }, 120_000);
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('tag=exp-1 retry=none key=3');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(cwd, 'go'), '');
    const again = await cli(['retry', 'tagged-run', '--json'], cwd, { API_KEY: 'abc' }, 120_000);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('tag=exp-1 retry=tagged-run key=3');
  });

  // SPEC §6: minio types are aliases of the s3 ones, so no endpoint means AWS (no region here: no request leaves)
  it.each([
    ['minio.yaml', 'minio', 's3'],
    ['chunked-minio.yaml', 'chunked-minio', 'chunked-s3'],
  ])("%s (buckets only, runnable's MinIO defaults implied) is exit 2 saying endpoint_url is needed", async (name, type, alias) => {
    const cwd = project(name, SIMPLE);
    const env = { AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined, AWS_PROFILE: undefined, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_EC2_METADATA_DISABLED: 'true' };
    const r = await cli(['execute', 'pipeline.yaml'], cwd, env);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toContain("runnable-config.yaml: field 'run-log-store.config.bucket': cannot use bucket 'run-logs'");
    expect(lines[0]).toContain(`type '${type}' is an alias of '${alias}' here: without 'endpoint_url' it means AWS S3, not runnable's default MinIO at http://localhost:9002; set endpoint_url and the credentials`);
  });

  it("retry-config.yaml (runnable's retry executor) is exit 2 saying what to run instead", async () => {
    const cwd = project('retry-config.yaml', SIMPLE);
    const r = await cli(['execute', 'pipeline.yaml'], cwd);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/runnable-config\.yaml.*pipeline-executor\.type.*type 'retry' is not supported here: .*runnable retry RUN_ID/);
    expect(readFileSync(join(cwd, 'runnable-config.yaml'), 'utf8')).toBe(CONFIGS['retry-config.yaml']);
  });
});
