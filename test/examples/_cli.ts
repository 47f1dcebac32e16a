/**
 * Running an example as a user of the package would: `runnable execute[-job] examples/<file>
 * --json` through the built CLI, in a fresh copy of examples/ whose node_modules holds
 * `runnable-ts` (a link to this repository, so the SDK examples' `import ... from 'runnable-ts'`
 * resolves to the build in dist/). The directories go when the test file ends.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { RunLog } from '../../src/runlog/types.js';
import { CLI, EXAMPLE_ENV, REPO, RUN_LOG_FOLDER, makeWorkdir, parseJsonSummary } from './_run.js';

export interface CliRun {
  /** the example, relative to examples/ */
  file: string;
  cwd: string;
  code: number | null;
  stdout: string;
  stderr: string;
  log: RunLog;
}

const dirs: string[] = [];
afterAll(() => {
  if (process.env['KEEP_EXAMPLE_DIRS'] === '1') return;
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** `execute-job` for examples/11-jobs/, `execute` for the others; `args` after `--json`. */
export async function runCli(file: string, args: string[] = []): Promise<CliRun> {
  const cwd = makeWorkdir();
  dirs.push(cwd);
  mkdirSync(join(cwd, 'node_modules'));
  symlinkSync(REPO, join(cwd, 'node_modules', 'runnable-ts'), 'dir');
  const argv = [file.startsWith('11-jobs/') ? 'execute-job' : 'execute', `examples/${file}`, '--json', ...args];
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('RUNNABLE_') && k !== 'FORCE_COLOR') env[k] = v;
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...argv], { cwd, env: { ...env, NO_COLOR: '1', ...EXAMPLE_ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', reject);
    child.on('close', (c) => {
      clearTimeout(timer);
      resolve({ code: c, stdout: out, stderr: err });
    });
  });
  const summary = parseJsonSummary(stdout);
  if (!summary) throw new Error(`runnable ${argv.join(' ')} printed no --json summary (exit ${code})\n${stderr.slice(-3000)}`);
  const log = JSON.parse(readFileSync(join(cwd, RUN_LOG_FOLDER, `${summary.run_id}.json`), 'utf8')) as RunLog;
  return { file, cwd, code, stdout, stderr, log };
}
