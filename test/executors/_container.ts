/**
 * Helpers for the local-container tests: a container engine that works (podman here; the tests
 * fail, not skip, when it does not) and the image built by scripts/container-image.sh.
 */
import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO } from '../examples/_run.js';
import { cleanEnv } from './_emulate.js';

const exec = promisify(execFile);

export const IMAGE = process.env.RUNNABLE_TS_IMAGE ?? 'localhost/runnable-ts-node:latest';
export const ENGINE = process.env.CONTAINER_ENGINE ?? 'podman';

/** `<engine> args...`; rejects with the engine's stderr. */
export async function engine(args: string[], timeout = 120_000): Promise<string> {
  const { stdout } = await exec(ENGINE, args, { timeout, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/** The image exists (built by the script if not) and a container runs node in it. */
export async function ensureImage(): Promise<void> {
  try {
    await engine(['--version'], 30_000);
  } catch (err) {
    throw new Error(`${ENGINE} does not work on this machine (install it: apt-get install -y podman runc; see .ci/run): ${(err as Error).message}`);
  }
  const exists = await engine(['image', 'exists', IMAGE]).then(
    () => true,
    () => false,
  );
  if (!exists) {
    await new Promise<void>((resolve, reject) => {
      const child = spawn('bash', [join(REPO, 'scripts', 'container-image.sh'), IMAGE], { stdio: ['ignore', 'inherit', 'inherit'] });
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`scripts/container-image.sh exited ${code}`))));
    });
  }
  const out = await engine(['run', '--rm', '--network=none', IMAGE, 'node', '--version'], 120_000);
  if (!/^v\d+/.test(out.trim())) throw new Error(`node does not run in ${IMAGE}: ${out}`);
}

/** The image's digest as the executor records it (manifest digest, else id). */
export async function imageDigest(image: string): Promise<string> {
  const [id = '', digest = ''] = (await engine(['image', 'inspect', '--format', '{{.Id}} {{.Digest}}', image])).trim().split(/\s+/);
  return /^sha256:[0-9a-f]{64}$/.test(digest) ? digest : id.startsWith('sha256:') ? id : `sha256:${id}`;
}

/** A local image derived from IMAGE holding one more file, so that it has its own digest. */
export async function deriveImage(tag: string, dir: string, marker: string): Promise<void> {
  writeFileSync(join(dir, 'marker'), marker);
  writeFileSync(join(dir, 'Containerfile'), `FROM ${IMAGE}\nCOPY marker /etc/runnable-marker\n`);
  await engine(['build', '--pull=never', '-q', '-t', tag, '-f', join(dir, 'Containerfile'), dir], 300_000);
}

/** Containers of a run (running or not), by label. */
export async function containersOf(runId: string, step?: string): Promise<string[]> {
  const filters = ['--filter', `label=runnable.run_id=${runId}`, ...(step ? ['--filter', `label=runnable.step=${step}`] : [])];
  const out = await engine(['ps', '-a', '-q', ...filters], 30_000);
  return out.split('\n').filter(Boolean);
}

export interface Started {
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** `runnable ARGS` in `cwd`, not awaited (for killing its container mid-step). */
export function startCli(cli: string, args: string[], cwd: string): Started {
  const child = spawn(process.execPath, [cli, ...args], { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf-8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf-8').on('data', (d: string) => (stderr += d));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { done };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
