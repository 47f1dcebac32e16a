/**
 * The live progress area as a person sees it: the CLI runs in a tmux pane (a real terminal),
 * and the test reads the screen. A map item waits for a file the test creates only once the
 * area is on screen, so nothing depends on how fast the machine is.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, makeProject, runCli } from './_helpers.js';

const project = makeProject();
const sessions: string[] = [];
afterAll(() => {
  for (const s of sessions) {
    try {
      execFileSync('tmux', ['kill-session', '-t', s], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
  project.cleanup();
});

const screen = (session: string) => execFileSync('tmux', ['capture-pane', '-p', '-S', '-', '-t', session], { encoding: 'utf8' });

async function waitForScreen(session: string, test: (text: string) => boolean, what: string): Promise<string> {
  const until = Date.now() + 120_000;
  for (;;) {
    const text = screen(session);
    if (test(text)) return text;
    if (Date.now() > until) throw new Error(`screen never showed ${what}:\n${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs the CLI in a detached tmux pane of 120 x 40; the pane stays after the command ends. */
function startInTmux(name: string, env: Record<string, string>, args: string[]): string {
  const session = `runnable-views-${name}-${process.pid}`;
  sessions.push(session);
  const envArgs = Object.entries({ TERM: 'xterm-256color', ...env }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '120', '-y', '40', '-c', project.cwd, ...envArgs, process.execPath, CLI, ...args]);
  execFileSync('tmux', ['set-option', '-t', session, 'remain-on-exit', 'on']);
  return session;
}

describe('live progress on a terminal', () => {
  it('shows counts, elapsed time and the running step, then leaves plain lines and the summary', async () => {
    const session = startInTmux('live', { RUNNABLE_PRM_n: '40', RUNNABLE_PRM_hold_at: '30', CI: '', NO_COLOR: '' }, ['execute', 'test/views/fixtures/progress.yaml', '--run-id', 'live-1']);
    const live = await waitForScreen(session, (t) => /map items\s+30 done\s+1 running\s+0 failed\s+9 left/.test(t), 'the live area at item 30');
    expect(live).toMatch(/steps\s+31 done\s+1 running\s+0 failed\s+9 left/);
    expect(live).toMatch(/branches\s+30 done/);
    expect(live).toMatch(/elapsed \d+s/);
    expect(live).toContain('▸ each.30.hold');
    // the first steps still get their lines, as for a short run
    expect(live).toContain('✓ items');
    expect(live).toContain('✓ each.0.hold');
    writeFileSync(join(project.cwd, 'release'), '');
    const end = await waitForScreen(session, (t) => /run live-1 SUCCESS/.test(t), 'the summary');
    expect(end).toContain('✓ each ');
    expect(end).not.toMatch(/\d+ running/);
    expect(end).not.toContain('▸');
  });

  it('prints only plain lines when CI is set, even on a terminal', async () => {
    const session = startInTmux('ci', { RUNNABLE_PRM_n: '3', RUNNABLE_PRM_hold_at: '-1', CI: 'true' }, ['execute', 'test/views/fixtures/progress.yaml', '--run-id', 'ci-1']);
    const end = await waitForScreen(session, (t) => /run ci-1 SUCCESS/.test(t), 'the summary');
    expect(end).toContain('→ each.2.hold');
    expect(end).not.toContain('running');
  });

  it('prints only plain lines, without escape codes, when stderr is not a terminal', async () => {
    const run = await runCli(project.cwd, ['execute', 'test/views/fixtures/progress.yaml', '--run-id', 'pipe-1'], { RUNNABLE_PRM_n: '25', RUNNABLE_PRM_hold_at: '-1', NO_COLOR: '' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toContain('\u001b[');
    expect(run.stderr.split('\n').filter((l) => l.startsWith('✓ each.'))).toHaveLength(25);
    expect(run.stderr).not.toContain('running');
  });
});
