/**
 * scripts/setup.sh installs only what the README's example needs unless asked for more
 * (issue 15 item 1). `--plan` says what it would install and installs nothing; run here with a
 * PATH that has none of the optional programs (slurmctld, podman, chromium, deno), as on a
 * fresh machine, so each extra's packages show up in the plan.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const SCRIPT = path.resolve(import.meta.dirname, '../../scripts/setup.sh');
const bare = mkdtempSync(path.join(tmpdir(), 'setup-path-'));
symlinkSync('/usr/bin/dirname', path.join(bare, 'dirname'));
symlinkSync('/usr/bin/sed', path.join(bare, 'sed'));
afterAll(() => rmSync(bare, { recursive: true, force: true }));

function setup(...args: string[]) {
  const r = spawnSync('/bin/bash', [SCRIPT, ...args], { env: { PATH: bare, HOME: tmpdir() }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('scripts/setup.sh', () => {
  it('with no extras: npm packages only', () => {
    expect(setup('--plan')).toEqual({ code: 0, out: 'npm ci\n', err: '' });
  });

  it('each extra adds its own packages; what an extra needs comes with it', () => {
    expect(setup('--plan', 'slurm').out).toBe('npm ci\napt-get install slurm-wlm munge\n');
    expect(setup('--plan', 'containers').out).toBe('npm ci\napt-get install podman runc\n');
    expect(setup('--plan', 'browser').out).toBe('npm ci\napt-get install chromium\n');
    const deno = setup('--plan', 'deno').out;
    expect(deno).toContain('npm install -g deno\n');
    expect(deno).toContain('deno jupyter --install');
    expect(deno).not.toContain('slurm');
  });

  it('all: every extra (what .ci/run asks for)', () => {
    const all = setup('--plan', 'all').out;
    expect(all).toMatch(/^npm ci\n/);
    expect(all).toContain('apt-get install slurm-wlm munge podman runc chromium\n');
    expect(all).toContain('npm install -g deno\n');
  });

  it('an unknown extra: exit 2, one line naming the known ones', () => {
    const r = setup('slurmm');
    expect(r.code).toBe(2);
    expect(r.err).toBe("setup: unknown extra 'slurmm' (known: python notebooks deno slurm containers browser, all; or --plan)\n");
    expect(r.out).toBe('');
  });

  it('--help prints the table of extras', () => {
    const r = setup('--help');
    expect(r.code).toBe(0);
    for (const extra of ['python', 'notebooks', 'deno', 'slurm', 'containers', 'browser']) expect(r.out).toMatch(new RegExp(`^  ${extra} `, 'm'));
  });
});
