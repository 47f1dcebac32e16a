/**
 * `runnable graph` as text (Mermaid, dot), `runnable timeline --console`, and reports of a run
 * that is still running and of one whose runner was killed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, makeProject, runCli } from './_helpers.js';

const project = makeProject();
const cwd = project.cwd;
afterAll(() => project.cleanup());

describe('runnable graph', () => {
  it('draws composites as clusters in Mermaid and dot', async () => {
    const m = await runCli(cwd, ['graph', 'test/views/fixtures/nested.yaml']);
    expect(m.code, m.stderr).toBe(0);
    expect(m.stdout.startsWith('flowchart TD\n')).toBe(true);
    for (const label of ['rounds (loop)', 'both (parallel)', 'each (map)', 'fan', 'solo', 'each iteration']) expect(m.stdout).toContain(`["${label}"]`);
    const d = await runCli(cwd, ['graph', 'test/views/fixtures/nested.yaml', '--format', 'dot']);
    expect(d.stdout).toMatch(/^digraph pipeline \{/);
    // rounds, its iteration, both, fan, solo, each, its iteration
    expect(d.stdout.match(/subgraph cluster_/g)).toHaveLength(7);
  });

  it('draws on_failure edges dashed and colours steps by a run', async () => {
    const run = await runCli(cwd, ['execute', 'test/views/fixtures/on-failure.yaml', '--run-id', 'of-1']);
    expect(run.code).toBe(0);
    const m = await runCli(cwd, ['graph', 'test/views/fixtures/on-failure.yaml', '--run', 'of-1']);
    expect(m.stdout).toMatch(/n0 -\.->\|on_failure\| n\d+/);
    expect(m.stdout).toContain('class n0 fail');
    const d = await runCli(cwd, ['graph', 'test/views/fixtures/on-failure.yaml', '--format', 'dot']);
    expect(d.stdout).toContain('[style=dashed, color="#dc2626", label="on_failure"]');
    const s = await runCli(cwd, ['graph', 'test/views/fixtures/on-failure.yaml', '-o', 'g.svg']);
    expect(s.code).toBe(0);
    expect(readFileSync(join(cwd, 'g.svg'), 'utf8')).toContain('class="edge on-failure"');
  });

  it('refuses an unknown format with one line and exit 2', async () => {
    const r = await runCli(cwd, ['graph', 'test/views/fixtures/nested.yaml', '--format', 'png']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('runnable timeline', () => {
  it('--console folds iterations into one line with their count', async () => {
    const run = await runCli(cwd, ['execute', 'test/views/fixtures/nested.yaml', '--run-id', 'c-1']);
    expect(run.code).toBe(0);
    const r = await runCli(cwd, ['timeline', 'c-1', '--console']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('run c-1 SUCCESS');
    expect(r.stdout).toMatch(/✓ rounds \[2 rounds: 2 ✓\]/);
    expect(r.stdout).toContain('█ critical path');
  });

  it('--open hands the written report to the desktop opener (xdg-open) as one argument, and says so when there is none', async () => {
    const run = await runCli(cwd, ['execute', 'test/views/fixtures/nested.yaml', '--run-id', 'open-1']);
    expect(run.code, run.stderr).toBe(0);
    // a stand-in opener first on PATH: it records the argument it was given
    const bin = join(cwd, 'opener-bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'xdg-open'), '#!/bin/sh\nprintf "%s\\n" "$#" "$1" > "$(dirname "$0")/opened.tmp" && mv "$(dirname "$0")/opened.tmp" "$(dirname "$0")/opened"\n', { mode: 0o755 });
    const r = await runCli(cwd, ['timeline', 'open-1', '-o', 'my report.html', '--open'], { PATH: `${bin}:${process.env.PATH}` });
    expect(r.code, r.stderr).toBe(0);
    // the opener is detached and may end after the CLI: wait for what it records
    while (!existsSync(join(bin, 'opened'))) await new Promise((done) => setTimeout(done, 20));
    expect(readFileSync(join(bin, 'opened'), 'utf8')).toBe(`1\n${join(cwd, 'my report.html')}\n`);
    expect(readFileSync(join(cwd, 'my report.html'), 'utf8')).toContain('<html');

    const none = await runCli(cwd, ['timeline', 'open-1', '-o', 'again.html', '--open'], { PATH: join(cwd, 'empty-bin') });
    expect(none.code, none.stderr).toBe(0);
    expect(none.stderr.trim().split('\n')).toEqual(['runnable: wrote again.html', `runnable: could not start xdg-open; open ${join(cwd, 'again.html')} in a browser`]);
    expect(existsSync(join(cwd, 'again.html'))).toBe(true);
  });

  it('reports an unknown run id with exit 2 and writes nothing', async () => {
    const r = await runCli(cwd, ['timeline', 'no-such-run', '-o', 'none.html']);
    expect(r.code).toBe(2);
    expect(existsSync(join(cwd, 'none.html'))).toBe(false);
  });

  it('reports a run still running, then the same run once its runner is killed', async () => {
    const child = spawn(process.execPath, [CLI, 'execute', 'test/views/fixtures/progress.yaml', '--run-id', 'live-2'], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', RUNNABLE_PRM_n: '10', RUNNABLE_PRM_hold_at: '4' },
      stdio: 'ignore',
    });
    // item 4 holds until a file `release` exists, which this test never creates
    const until = Date.now() + 120_000;
    for (;;) {
      const r = await runCli(cwd, ['runs', 'show', 'live-2', '--json']);
      if (r.code === 0 && JSON.parse(r.stdout).steps.each?.branches['each.4']) break;
      if (Date.now() > until) throw new Error('the run never reached item 4');
      await new Promise((res) => setTimeout(res, 200));
    }
    const running = await runCli(cwd, ['timeline', 'live-2', '-o', 'running.html']);
    expect(running.code, running.stderr).toBe(0);
    const html = readFileSync(join(cwd, 'running.html'), 'utf8');
    expect(html).toContain('id="run-status">PROCESSING<');
    expect(html).toContain('(still running)');
    child.kill('SIGKILL');
    await new Promise((res) => child.on('close', res));
    const dead = await runCli(cwd, ['timeline', 'live-2', '-o', 'dead.html']);
    expect(dead.code).toBe(0);
    expect(readFileSync(join(cwd, 'dead.html'), 'utf8')).toContain('id="run-status">INTERRUPTED<');
  });
});
