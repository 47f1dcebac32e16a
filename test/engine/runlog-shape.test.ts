/** The run log a real run leaves: SPEC §5 field names, times, code identity, dag_hash. */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StepLog } from '../../src/runlog/types.js';
import { allBranches, allSteps, run, runYaml, step, workdir } from './_helpers.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

const PIPELINE = `
dag:
  start_at: first
  steps:
    first: {type: task, command_type: shell, command: 'echo hi > f.txt; export n=1', returns: [n], catalog: {put: [f.txt]}, next: par}
    par:
      type: parallel
      next: fan
      branches:
        a: {start_at: s, steps: {s: {type: stub, next: success}}}
    fan:
      type: map
      iterate_on: items
      iterate_as: it
      next: success
      branch: {start_at: t, steps: {t: {type: task, command_type: shell, command: 'true', next: success}}}
`;
const ENV = { RUNNABLE_PRM_items: '[1]' };

const sorted = (o: object) => Object.keys(o).sort();

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' }).trim();
}

describe('run log shape', () => {
  it('uses the field names of runnable (SPEC §5) at every level', async () => {
    const r = await runYaml(PIPELINE, {}, { env: ENV });
    expect(r.status).toBe('SUCCESS');
    const log = r.file;
    expect(sorted(log)).toEqual(['dag_hash', 'parameters', 'run_config', 'run_id', 'status', 'steps', 'tag']);
    expect(log.run_id).toBe(r.runId);
    expect(log.tag).toBe('');
    expect(Object.keys(log.steps)).toEqual(['first', 'par', 'fan', 'success']);

    const stepFields = ['attempts', 'branches', 'code_identities', 'data_catalog', 'internal_name', 'message', 'mock', 'name', 'status', 'step_type'];
    const attemptFields = ['attempt_number', 'end_time', 'input_parameters', 'message', 'output_parameters', 'start_time', 'status', 'user_defined_metrics'];
    for (const s of allSteps(log)) {
      expect(sorted(s), s.internal_name).toEqual(stepFields);
      expect(['SUCCESS', 'FAIL']).toContain(s.status);
      expect(s.mock).toBe(false);
      expect(s.attempts.length, s.internal_name).toBeGreaterThanOrEqual(1);
      for (const a of s.attempts) {
        expect(sorted(a)).toEqual(attemptFields);
        expect(a.start_time).toMatch(ISO);
        expect(a.end_time).toMatch(ISO);
        expect(Date.parse(a.end_time)).toBeGreaterThanOrEqual(Date.parse(a.start_time));
      }
    }
    for (const b of allBranches(log)) expect(sorted(b)).toEqual(['internal_name', 'parameters', 'status', 'steps']);
    expect(sorted(step(log, 'first').data_catalog[0]!)).toEqual(['catalog_handler_location', 'catalog_relative_path', 'data_hash', 'name', 'stage']);
    expect(step(log, 'first').attempts[0]!.output_parameters).toEqual({ n: { kind: 'json', value: 1 } });
    expect(log.run_config).toMatchObject({ pipeline: 'pipeline.yaml', 'pipeline-executor': { type: 'local' }, 'run-log-store': { type: 'file-system' } });
  });

  it('keys BranchLog.steps by internal name, as runnable does (datastore.py add_step_log)', async () => {
    const r = await runYaml(PIPELINE, {}, { env: ENV });
    const check = (s: StepLog) => {
      for (const [bkey, b] of Object.entries(s.branches)) {
        expect(bkey).toBe(b.internal_name);
        for (const [key, inner] of Object.entries(b.steps)) {
          expect(key).toBe(inner.internal_name);
          expect(inner.internal_name).toBe(`${bkey}.${inner.name}`);
          check(inner);
        }
      }
    };
    for (const s of Object.values(r.file.steps)) check(s);
  });

  it('records the git code identity: sha, dependable only on a clean tree', async () => {
    const cwd = workdir({ 'pipeline.yaml': PIPELINE, '.gitignore': '.run_log_store/\n.catalog/\nf.txt\n' });
    git(cwd, 'init', '-q');
    git(cwd, 'add', '.');
    git(cwd, 'commit', '-q', '-m', 'init');
    git(cwd, 'remote', 'add', 'origin', 'https://user:secret@example.com/team/repo.git');
    const sha = git(cwd, 'rev-parse', 'HEAD');
    const r = await run(cwd, { env: ENV });
    const ids = step(r.file, 'first').code_identities;
    expect(ids).toHaveLength(1);
    expect(ids[0]).toMatchObject({
      code_identifier: sha,
      code_identifier_type: 'git',
      code_identifier_dependable: true,
      code_identifier_url: 'https://example.com/team/repo.git',
    });
    expect(step(r.file, 'fan.1.t').code_identities[0]!.code_identifier).toBe(sha);

    const dirty = workdir({ 'pipeline.yaml': PIPELINE });
    git(dirty, 'init', '-q');
    git(dirty, 'add', '.');
    git(dirty, 'commit', '-q', '-m', 'init');
    writeFileSync(join(dirty, 'pipeline.yaml'), `${PIPELINE}\n# edited\n`);
    const d = await run(dirty, { env: ENV });
    const id = step(d.file, 'first').code_identities[0]!;
    expect(id.code_identifier).toMatch(/^[0-9a-f]{40}$/);
    expect(id.code_identifier_dependable).toBe(false);
    expect(id.code_identifier_message).toContain('pipeline.yaml');
  });

  it('dag_hash is stable across runs of the same file and changes when a step does', async () => {
    const cwd = workdir({ 'pipeline.yaml': PIPELINE });
    const one = await run(cwd, { env: ENV });
    const two = await run(cwd, { env: ENV });
    expect(one.runId).not.toBe(two.runId);
    expect(one.file.dag_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(two.file.dag_hash).toBe(one.file.dag_hash);

    writeFileSync(join(cwd, 'pipeline.yaml'), PIPELINE.replace("command: 'true'", "command: 'true; true'"));
    const three = await run(cwd, { env: ENV });
    expect(three.file.dag_hash).not.toBe(one.file.dag_hash);
  });

  it('a failed run is FAIL in the file too, with the failed step last before fail', async () => {
    const r = await runYaml(PIPELINE.replace("'true'", "'exit 9'"), {}, { env: ENV });
    expect(r.status).toBe('FAIL');
    expect(r.file.status).toBe('FAIL');
    expect(Object.keys(r.file.steps)).toEqual(['first', 'par', 'fan', 'fail']);
    expect(step(r.file, 'fan.1.t').message).toContain('exit code 9');
  });
});
