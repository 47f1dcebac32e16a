/**
 * Issue 13 item 7: nothing lost silently.
 * - A map item longer than a file name can be: the step's log is still saved (it used to be
 *   dropped, the error swallowed) and a notebook step still runs (it failed with ENAMETOOLONG).
 * - A notebook's executed copy is recorded in the step's data_catalog with its hash.
 * - A damaged journal line or chunk record is said: a warning, and `runs show` says so.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, REPO, cleanEnv, run, step, workdir } from '../engine/_helpers.js';

const LONG = 'x'.repeat(300);

function catalogFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...catalogFiles(dir, p));
    else out.push(p);
  }
  return out;
}

describe('long map items', () => {
  it('a shell step of a 300-byte map item keeps its log in the catalog', async () => {
    const cwd = workdir({
      'pipeline.yaml': `dag:
  start_at: fan
  steps:
    fan:
      type: map
      iterate_on: items
      iterate_as: item
      next: success
      branch:
        start_at: echo
        steps:
          echo: {type: task, command_type: shell, command: 'echo "got $item"', next: success}
`,
      'params.yaml': `items: ["${LONG}", "short"]\n`,
    });
    const r = await run(cwd, { params: 'params.yaml' });
    expect(r.status).toBe('SUCCESS');
    const logs = catalogFiles(join(cwd, '.catalog', r.runId)).filter((f) => f.startsWith('.logs/'));
    expect(logs).toHaveLength(2);
    const long = logs.find((f) => f !== '.logs/fan.short.echo.attempt-1.log')!;
    expect(Buffer.byteLength(long.split('/')[1]!)).toBeLessThan(255);
    expect(readFileSync(join(cwd, '.catalog', r.runId, long), 'utf8')).toContain(`got ${LONG}`);
  }, 60_000);

  it('a notebook step of a 300-byte map item runs, and its executed copy is in data_catalog with its hash', async () => {
    const cwd = workdir({
      'pipeline.yaml': `dag:
  start_at: fan
  steps:
    fan:
      type: map
      iterate_on: items
      iterate_as: name
      next: success
      branch:
        start_at: nb
        steps:
          nb: {type: task, command: nbs/params.ipynb, returns: [greeting], next: success}
`,
      'params.yaml': `items: ["${LONG}"]\na: 3\n`,
    });
    mkdirSync(join(cwd, 'nbs'));
    copyFileSync(join(REPO, 'test/fixtures/notebooks/params.ipynb'), join(cwd, 'nbs/params.ipynb'));
    const r = await run(cwd, { params: 'params.yaml' });
    const nb = step(r.runLog, `fan.${LONG}.nb`);
    expect(nb.status, nb.message).toBe('SUCCESS');
    const entries = nb.data_catalog.filter((d) => d.name.endsWith('_out.ipynb'));
    expect(entries).toHaveLength(1);
    const entry = entries[0]!;
    expect(entry.stage).toBe('put');
    const bytes = readFileSync(join(cwd, '.catalog', r.runId, entry.name));
    expect(entry.data_hash).toBe(createHash('sha256').update(bytes).digest('hex'));
  }, 120_000);
});

describe('damaged run logs are said, not skipped silently', () => {
  const show = (cwd: string, runId: string, config: string[] = []) =>
    spawnSync(process.execPath, [CLI, 'runs', 'show', runId, ...config], { cwd, encoding: 'utf8', env: cleanEnv() });

  it('file-system: a journal line that is not a record', async () => {
    const cwd = workdir({ 'pipeline.yaml': 'dag:\n  start_at: a\n  steps:\n    a: {type: stub, next: success}\n' });
    const r = await run(cwd);
    const journal = join(cwd, '.run_log_store', `${r.runId}.journal`);
    appendFileSync(journal, '{"kind": "step", "key": "a", "par\n' + JSON.stringify({ kind: 'params', key: '', parent: '', seq: 1, data: {} }) + '\n');
    const res = show(cwd, r.runId);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stderr).toMatch(new RegExp(`^runnable: warning: the run log of ${r.runId} is damaged: .*\\.journal: line 1 is not a record; skipped\\n$`));
    expect(res.stdout).toContain('damaged: 1 record of this run log could not be read');
  }, 60_000);

  it('chunked-fs: a record file that is not a record', async () => {
    const cwd = workdir({
      'pipeline.yaml': 'dag:\n  start_at: a\n  steps:\n    a: {type: stub, next: success}\n',
      'config.yaml': 'run-log-store: {type: chunked-fs}\n',
    });
    const first = spawnSync(process.execPath, [CLI, 'execute', 'pipeline.yaml', '-c', 'config.yaml', '--run-id', 'chunked'], { cwd, encoding: 'utf8', env: cleanEnv() });
    expect(first.status, first.stderr).toBe(0);
    writeFileSync(join(cwd, '.run_log_store', 'chunked', 'step-b.json'), '{"kind": "st');
    const res = show(cwd, 'chunked', ['-c', 'config.yaml']);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stderr).toContain('step-b.json is not a record; skipped');
    expect(res.stdout).toContain('damaged: 1 record');
  }, 60_000);
});
