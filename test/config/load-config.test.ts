import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { RunnableError } from '../../src/errors.js';

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(path.join(tmpdir(), 'runnable-config-'));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

const write = (name: string, text: string) => writeFileSync(path.join(cwd, name), text);
const defaults = {
  'pipeline-executor': { type: 'local', config: {} },
  'job-executor': { type: 'local', config: {} },
  'run-log-store': { type: 'file-system', config: {} },
  catalog: { type: 'file-system', config: {} },
  secrets: { type: 'env-secrets', config: {} },
  'step-cache': { type: 'per-step', config: {} },
  telemetry: { type: 'none', config: {} },
};

describe('loadConfig', () => {
  it('uses the defaults without any file', async () => {
    expect(await loadConfig({ cwd, env: {} })).toEqual({ sections: defaults, raw: {}, written: {} });
  });

  it('picks runnable-config.yaml from cwd', async () => {
    write('runnable-config.yaml', 'run-log-store:\n  type: chunked-fs\n');
    const c = await loadConfig({ cwd, env: {} });
    expect(c.file).toBe('runnable-config.yaml');
    expect(c.sections['run-log-store']).toEqual({ type: 'chunked-fs', config: {} });
    expect(c.sections.catalog).toEqual(defaults.catalog);
  });

  it('prefers -c over RUNNABLE_CONFIGURATION_FILE over runnable-config.yaml', async () => {
    write('runnable-config.yaml', 'catalog: {type: from-cwd}\n');
    write('env.yaml', 'catalog: {type: from-env}\n');
    write('cli.yaml', 'catalog: {type: from-cli}\n');
    const env = { RUNNABLE_CONFIGURATION_FILE: 'env.yaml' };
    expect((await loadConfig({ cwd, env })).sections.catalog.type).toBe('from-env');
    expect((await loadConfig({ cwd, env, file: 'cli.yaml' })).sections.catalog.type).toBe('from-cli');
  });

  it('names the env var when its file is missing', async () => {
    const e = await loadConfig({ cwd, env: { RUNNABLE_CONFIGURATION_FILE: 'gone.yaml' } }).catch((x: RunnableError) => x);
    expect(e).toBeInstanceOf(RunnableError);
    expect((e as RunnableError).code).toBe('E_FILE');
    expect((e as RunnableError).format()).toBe('gone.yaml: cannot read config file (from RUNNABLE_CONFIGURATION_FILE): no such file');
  });

  it('does not judge types or their config (the registries do)', async () => {
    write('c.yaml', 'pipeline-executor:\n  type: warp-drive\n  config: {anything: [1, 2], nested: {config_path: null}}\n');
    const c = await loadConfig({ cwd, env: {}, file: 'c.yaml' });
    expect(c.sections['pipeline-executor']).toEqual({ type: 'warp-drive', config: { anything: [1, 2], nested: { config_path: null } } });
    expect(c.raw).toEqual({ 'pipeline-executor': { type: 'warp-drive', config: { anything: [1, 2], nested: { config_path: null } } } });
  });

  it('treats an empty file and an empty config as defaults', async () => {
    write('empty.yaml', '# nothing yet\n');
    write('c.yaml', 'secrets:\n  type: dotenv\n  config:\n');
    expect((await loadConfig({ cwd, env: {}, file: 'empty.yaml' })).sections).toEqual(defaults);
    expect((await loadConfig({ cwd, env: {}, file: 'c.yaml' })).sections.secrets).toEqual({ type: 'dotenv', config: {} });
  });

  it('expands ${VAR} in values (not keys), with $${VAR} as a literal and runnable RUNNABLE_VAR_ as a fallback', async () => {
    write(
      'c.yaml',
      [
        'pipeline-executor:',
        '  type: ${EXEC}',
        '  config:',
        '    image: "${REGISTRY}/app:${TAG}"',
        '    literal: "$${HOME} and $PLAIN"',
        '    list: ["${TAG}", 3]',
        '    ${KEY}: kept',
      ].join('\n'),
    );
    const env = { EXEC: 'argo', REGISTRY: 'ghcr.io/me', RUNNABLE_VAR_TAG: 'v1', KEY: 'no' };
    const c = await loadConfig({ cwd, env, file: 'c.yaml' });
    expect(c.sections['pipeline-executor']).toEqual({
      type: 'argo',
      config: { image: 'ghcr.io/me/app:v1', literal: '${HOME} and $PLAIN', list: ['v1', 3], '${KEY}': 'kept' },
    });
  });

  it('expands runnable-style $VAR when it is set and leaves it as written when it is not', async () => {
    write('c.yaml', ['pipeline-executor:', '  type: local-container', '  config:', '    docker_image: "$IMAGE"', '    environment: {A: "$UNSET_HERE:$TAG_V", B: "$$1"}'].join('\n'));
    const c = await loadConfig({ cwd, env: { IMAGE: 'app:1', RUNNABLE_VAR_TAG_V: 'v2' }, file: 'c.yaml' });
    expect(c.sections['pipeline-executor']).toEqual({
      type: 'local-container',
      config: { docker_image: 'app:1', environment: { A: '$UNSET_HERE:v2', B: '$$1' } },
    });
  });

  it('reports an unset variable with its field and line', async () => {
    write('c.yaml', 'catalog:\n  type: s3\n  config:\n    buckets: [a, "${BUCKET}"]\n');
    const e = (await loadConfig({ cwd, env: {}, file: 'c.yaml' }).catch((x) => x)) as RunnableError;
    expect(e.code).toBe('E_CONFIG');
    expect(e.format()).toBe("c.yaml:4: field 'catalog.config.buckets[1]': environment variable 'BUCKET' is not set");
  });

  it("loads runnable's example configs", async () => {
    write(
      'argo.yaml',
      `pipeline-executor:
  type: "argo"
  config:
    pvc_for_runnable: runnable
    defaults:
      image: $docker_image
run-log-store:
  type: chunked-fs
  config:
    log_folder: /mnt/run_log_store
`,
    );
    const c = await loadConfig({ cwd, env: {}, file: 'argo.yaml' });
    expect(c.sections['pipeline-executor'].config).toEqual({ pvc_for_runnable: 'runnable', defaults: { image: '$docker_image' } });
  });
});
