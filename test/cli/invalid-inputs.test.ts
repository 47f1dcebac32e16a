/**
 * Every bad input in test/fixtures/invalid, through the built CLI: exit 2, one line on stderr
 * naming the problem, no stack trace, no run id, and nothing left behind.
 * Needs `npm run build` first (npm test does it).
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { INVALID_DIR, invalidCases } from '../fixtures/invalid/cases.js';

const repo = path.resolve(INVALID_DIR, '../../..');
const bin = path.join(repo, 'bin/runnable.js');
const VALID = '_valid.yaml';

// The runner must see only what each case passes on the command line.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RUNNABLE_')));

const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Async, so that the cases can run side by side. */
function run(args: string[], cwd: string): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

function argsFor(file: string, kind: string): string[] {
  if (kind === 'config') return ['execute', VALID, '-c', file];
  if (kind === 'params') return ['execute', VALID, '-p', file];
  return ['execute', file];
}

describe.concurrent('runnable execute rejects bad input', () => {
  const cases = invalidCases();
  // concurrent tests must use the context's expect
  it.for(cases.map((c) => [c.file, c] as const))('%s', async ([, c], { expect }) => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'runnable-invalid-'));
    temps.push(cwd);
    cpSync(INVALID_DIR, cwd, { recursive: true });

    const r = await run(argsFor(c.file, c.kind), cwd);
    const stderr = r.stderr.replace(/\r?\n$/, '');

    expect(r.status, `stderr: ${r.stderr}`).toBe(2);
    expect(stderr.split('\n'), 'stderr must be exactly one line').toHaveLength(1);
    expect(stderr).not.toContain('    at ');
    expect(stderr).toContain(c.fragment);
    expect(existsSync(path.join(cwd, '.run_log_store')), 'no run log store folder').toBe(false);
    expect(existsSync(path.join(cwd, '.catalog')), 'no catalog folder').toBe(false);
  });
});
