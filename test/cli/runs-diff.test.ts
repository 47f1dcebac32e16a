import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const bin = path.join(import.meta.dirname, '..', '..', 'bin', 'runnable.js');
const run = (cwd: string, args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });

describe('runnable runs diff', () => {
  let cwd: string;
  beforeAll(() => {
    cwd = mkdtempSync(path.join(tmpdir(), 'runs-diff-'));
    writeFileSync(
      path.join(cwd, 'p.yaml'),
      `dag:
  start_at: make
  steps:
    make:
      type: task
      command_type: shell
      command: echo "$n" > out.txt; export score=$((n * 2))
      returns: [{name: score, kind: metric}]
      catalog: {put: [out.txt]}
      next: success
`,
    );
    expect(run(cwd, ['execute', 'p.yaml', '--run-id', 'run-a'], { RUNNABLE_PRM_n: '1' }).status).toBe(0);
    expect(run(cwd, ['execute', 'p.yaml', '--run-id', 'run-b'], { RUNNABLE_PRM_n: '2' }).status).toBe(0);
  });

  it('reports changed parameters, metrics and catalog hashes as JSON', () => {
    const r = run(cwd, ['runs', 'diff', 'run-a', 'run-b', '--json']);
    expect(r.status).toBe(0);
    const diff = JSON.parse(r.stdout);
    expect(diff.a).toMatchObject({ run_id: 'run-a', status: 'SUCCESS' });
    expect(diff.a.dag_hash).toBe(diff.b.dag_hash);
    expect(diff.parameters).toContainEqual({ name: 'n', a: 1, b: 2, changed: true });
    expect(diff.metrics).toContainEqual({ name: 'score', a: 2, b: 4, changed: true });
    // one step records it: named once, not again as make:score
    expect(diff.metrics.map((m: { name: string }) => m.name)).toEqual(['score']);
    const out = diff.catalog.find((r: { name: string }) => r.name === 'make:out.txt');
    expect(out.changed).toBe(true);
    expect(out.a).toMatch(/^[0-9a-f]{64}$/);
    const make = diff.steps.find((s: { name: string }) => s.name === 'make');
    expect(make).toMatchObject({ a: { status: 'SUCCESS', attempts: 1 }, b: { status: 'SUCCESS', attempts: 1 }, changed: false });
  });

  it('prints a side-by-side table', () => {
    const r = run(cwd, ['runs', 'diff', 'run-a', 'run-b']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\s+n\s+1\s+\|\s+2$/m);
    expect(r.stdout).toMatch(/^\s+make\s+SUCCESS/m);
    expect(r.stdout).not.toMatch(/\x1b\[/);
  });

  it('exits 2 naming an unknown run', () => {
    const r = run(cwd, ['runs', 'diff', 'run-a', 'nope']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain("unknown run id 'nope'");
  });
});
