/**
 * The built CLI (`bin/runnable.js` → dist/bundle; run `npm run build` first) in a scratch
 * working directory, as a user runs it. The runner sees only the RUNNABLE_* variables a test
 * passes. Scratch directories go when the test file ends.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** HARDEN_BASE_BIN runs these tests against another build (e.g. the code before a fix, to see them fail). */
export const BIN = process.env.HARDEN_BASE_BIN ?? path.join(REPO, 'bin/runnable.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RUNNABLE_') && k !== 'FORCE_COLOR'));
const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** A fresh directory holding `files` (path → text). */
export function workdir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'runnable-harden-'));
  temps.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

export function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...baseEnv, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A stack trace line as node prints them ("    at fn (file:line:col)"). */
export const STACK_LINE = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

/** A one-step pipeline YAML. */
export function oneStep(fields: string): string {
  return `dag:\n  start_at: s\n  steps:\n    s:\n      type: task\n${fields.replace(/^/gm, '      ')}\n      next: success\n`;
}
