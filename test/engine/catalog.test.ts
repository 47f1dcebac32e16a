/** The file-system catalog in real runs: put/get across steps, hashes, failures, task logs. */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogFiles, readCatalog, runYaml, step } from './_helpers.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('catalog', () => {
  it('put then get across steps, with hashes recorded and files under .catalog/<run_id>/', async () => {
    const r = await runYaml(`
dag:
  start_at: make
  steps:
    make:
      type: task
      command_type: shell
      command: |
        mkdir -p out data
        printf 'alpha' > out/a.txt
        printf 'beta' > out/b.txt
        printf 'x,y\\n1,2\\n' > data/in.csv
        printf 'not copied' > hashed.txt
        echo "made files"
        echo "a warning" >&2
      catalog: {put: ["out/*.txt", data/in.csv]}
      next: hash_only
    hash_only:
      type: task
      command_type: shell
      command: 'true'
      catalog: {put: [hashed.txt], store_copy: false}
      next: use
    use:
      type: task
      command_type: shell
      command: |
        rm -rf out data
        true
      next: check
    check:
      type: task
      command_type: shell
      command: 'test "$(cat out/a.txt)" = alpha && test "$(cat out/b.txt)" = beta && test ! -e data/in.csv'
      catalog: {get: ["out/*"]}
      next: success
`);
    expect(step(r.runLog, 'check').message).toBe('');
    expect(r.status).toBe('SUCCESS');
    const loc = join(r.cwd, '.catalog');

    const made = step(r.runLog, 'make').data_catalog;
    expect(made.map((d) => d.name).sort()).toEqual(['data/in.csv', 'out/a.txt', 'out/b.txt']);
    const a = made.find((d) => d.name === 'out/a.txt')!;
    expect(a).toEqual({
      name: 'out/a.txt',
      data_hash: sha256('alpha'),
      catalog_relative_path: `${r.runId}/out/a.txt`,
      catalog_handler_location: loc,
      stage: 'put',
    });
    expect(readCatalog(r.cwd, r.runId, 'out/a.txt')).toBe('alpha');
    expect(readCatalog(r.cwd, r.runId, 'data/in.csv')).toBe('x,y\n1,2\n');

    const hashed = step(r.runLog, 'hash_only').data_catalog;
    expect(hashed).toHaveLength(1);
    expect(hashed[0]).toMatchObject({ name: 'hashed.txt', data_hash: sha256('not copied'), stage: 'put' });
    expect(existsSync(join(loc, r.runId, 'hashed.txt'))).toBe(false);

    const got = step(r.runLog, 'check').data_catalog;
    expect(got.map((d) => [d.name, d.stage, d.data_hash])).toEqual([
      ['out/a.txt', 'get', sha256('alpha')],
      ['out/b.txt', 'get', sha256('beta')],
    ]);

    // task output kept as log files under .logs/
    const logs = catalogFiles(r.cwd, r.runId).filter((f) => f.startsWith('.logs/'));
    const makeLog = logs.find((f) => f.includes('make'));
    expect(makeLog, JSON.stringify(logs)).toBeDefined();
    const text = readCatalog(r.cwd, r.runId, makeLog!);
    expect(text).toContain('made files');
    expect(text).toContain('a warning');
  });

  it('a put glob that matches nothing fails the step', async () => {
    const r = await runYaml(`
dag:
  start_at: make
  steps:
    make:
      type: task
      command_type: shell
      command: 'echo nothing written'
      catalog: {put: ["results/*.parquet"]}
      next: success
`);
    expect(r.status).toBe('FAIL');
    const s = step(r.runLog, 'make');
    expect(s.status).toBe('FAIL');
    expect(s.message).toContain('results/*.parquet');
    expect(s.data_catalog).toEqual([]);
  });

  it('a put that fails does not set the returned parameters', async () => {
    const r = await runYaml(`
dag:
  start_at: make
  steps:
    make: {type: task, command_type: shell, command: 'export x=1', returns: [x], catalog: {put: [missing.txt]}, next: success}
`);
    expect(r.status).toBe('FAIL');
    expect(r.runLog.parameters.x).toBeUndefined();
  });

  it('keeps one log per attempt of a retried step', async () => {
    const r = await runYaml(`
dag:
  start_at: s
  steps:
    s:
      type: task
      command_type: shell
      command: 'echo "attempt $RUNNABLE_STEP_ATTEMPT"; test "$RUNNABLE_STEP_ATTEMPT" = 2'
      max_attempts: 2
      next: success
`);
    expect(r.status).toBe('SUCCESS');
    const logs = catalogFiles(r.cwd, r.runId).filter((f) => f.startsWith('.logs/'));
    expect(logs).toHaveLength(2);
    expect(logs.map((f) => readCatalog(r.cwd, r.runId, f).trim()).sort()).toEqual(['attempt 1', 'attempt 2']);
  });

  it('files put inside map iterations can be fetched by a later step', async () => {
    const r = await runYaml(
      `
dag:
  start_at: fan
  steps:
    fan:
      type: map
      iterate_on: items
      iterate_as: n
      next: gather
      branch:
        start_at: w
        steps:
          w: {type: task, command_type: shell, command: 'mkdir -p parts && echo "part $n" > parts/$n.txt', catalog: {put: ["parts/*.txt"]}, next: success}
    gather:
      type: task
      command_type: shell
      command: 'test "$(cat parts/1.txt parts/2.txt)" = "$(printf "part 1\\npart 2")"'
      catalog: {get: ["parts/*.txt"]}
      next: success
`,
      {},
      { env: { RUNNABLE_PRM_items: '[1, 2]' } },
    );
    expect(step(r.runLog, 'gather').message).toBe('');
    expect(r.status).toBe('SUCCESS');
    expect(step(r.runLog, 'fan.2.w').data_catalog.map((d) => d.name)).toEqual(['parts/1.txt', 'parts/2.txt']);
    expect(catalogFiles(r.cwd, r.runId).filter((f) => !f.startsWith('.'))).toEqual(['parts/1.txt', 'parts/2.txt']);
  });
});
