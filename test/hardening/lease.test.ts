/**
 * Issue 13 item 2: one live driver per run. The `acquireLease` capability of every store that
 * has it (file-system, chunked-fs: numbered O_EXCL lease files; buffered: in memory), and the
 * CLI: of two `runnable retry` of one run started at once, exactly one proceeds and the other
 * exits 2 "run X is being driven by pid N since T", over 30 trials.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRunnableError } from '../../src/errors.js';
import { BufferedRunLogStore } from '../../src/runlog/buffered.js';
import { ChunkedFsRunLogStore } from '../../src/runlog/chunked-fs.js';
import { FileSystemRunLogStore } from '../../src/runlog/file-system.js';
import type { LeaseHolder, RunLogStore } from '../../src/runlog/types.js';
import { leaseHolder } from '../../src/runner/lease.js';
import { CLI, cleanEnv, cli, workdir, type CliResult } from '../engine/_helpers.js';

const header = (run_id: string) => ({ run_id, dag_hash: 'h', tag: '', status: 'PROCESSING' as const, run_config: {} });
const stores: [string, () => RunLogStore][] = [
  ['file-system', () => new FileSystemRunLogStore({ logFolder: mkdtempSync(join(tmpdir(), 'lease-fs-')) })],
  ['chunked-fs', () => new ChunkedFsRunLogStore({ logFolder: mkdtempSync(join(tmpdir(), 'lease-chunked-')) })],
  ['buffered', () => new BufferedRunLogStore()],
];

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(isRunnableError(e) && e.code).toBe('E_RUN_BUSY');
    return (e as Error).message;
  }
  throw new Error('the lease was given twice');
}

/** a holder that is gone: the pid of a process that ran and exited */
function deadHolder(): LeaseHolder {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return { ...leaseHolder(), pid: Number(r.stdout), since: '2020-01-01T00:00:00.000Z' };
}

describe.each(stores)('acquireLease (%s)', (_name, make) => {
  it('one holder at a time; a released lease is taken again; step leases are separate', async () => {
    const store = make();
    await store.create(header('r1'));
    const lease = await store.acquireLease!('r1', leaseHolder());
    const message = await refusal(store.acquireLease!('r1', leaseHolder()));
    expect(message).toBe(`run r1 is being driven by pid ${process.pid} since ${lease.holder.since} on host ${lease.holder.host}`);
    const step = await store.acquireLease!('r1', leaseHolder(), 'fan.1.work');
    expect(await refusal(store.acquireLease!('r1', leaseHolder(), 'fan.1.work'))).toContain("step 'fan.1.work' of run r1 is being driven by pid");
    await store.acquireLease!('r1', leaseHolder(), 'fan.2.work');
    await lease.release();
    await lease.release(); // idempotent
    const again = await store.acquireLease!('r1', leaseHolder());
    await again.release();
    await step.release();
    await (await store.acquireLease!('r1', leaseHolder(), 'fan.1.work')).release();
  });

  it('refuses an unknown run', async () => {
    const store = make();
    await expect(store.acquireLease!('nope', leaseHolder())).rejects.toThrow(/unknown run id 'nope'/);
  });
});

describe.each(stores.slice(0, 2))('a dead holder (%s)', (_name, make) => {
  it('a holder whose process is gone, or whose pid now belongs to a process started at another time, loses the lease', async () => {
    const store = make();
    await store.create(header('r2'));
    await store.acquireLease!('r2', deadHolder()); // never released: its holder "was killed"
    const taken = await store.acquireLease!('r2', leaseHolder());
    await refusal(store.acquireLease!('r2', leaseHolder()));
    await taken.release();
    await store.acquireLease!('r2', { ...leaseHolder(), process_start: '1' }); // this pid, another start time
    await (await store.acquireLease!('r2', leaseHolder())).release();
  });
});

// ---- the CLI: concurrent retries

/** a run whose one step failed; its retry waits in the step until the file `go` exists */
function failedRun(): string {
  const cwd = workdir({
    'pipeline.yaml': `dag:
  start_at: work
  steps:
    work:
      type: task
      command_type: shell
      command: 'echo ran >> ran.txt; if [ ! -f failed_once ]; then touch failed_once; exit 1; fi; while [ ! -f go ]; do sleep 0.05; done'
      next: success
`,
  });
  const first = spawnSync(process.execPath, [CLI, 'execute', 'pipeline.yaml', '--run-id', 'twice'], { cwd, encoding: 'utf8', env: cleanEnv() });
  expect(first.status, first.stderr).toBe(1);
  return cwd;
}

function start(cwd: string): { done: Promise<CliResult>; pid: number } {
  const child = spawn(process.execPath, [CLI, 'retry', 'twice'], { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return { pid: child.pid!, done: new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr }))) };
}

describe('concurrent retries', () => {
  it('of two retries started at once, exactly one proceeds, the other exits 2 naming the driver (30 trials)', async () => {
    for (let trial = 0; trial < 30; trial++) {
      const cwd = failedRun();
      const a = start(cwd);
      const b = start(cwd);
      // the loser ends by itself (the winner waits in its step for `go`)
      const first = await Promise.race([a.done.then((r) => ({ r, loser: a, winner: b })), b.done.then((r) => ({ r, loser: b, winner: a }))]);
      expect(first.r.code, `trial ${trial}: ${first.r.stderr}`).toBe(2);
      const line = first.r.stderr.trim();
      expect(line.split('\n'), line).toHaveLength(1);
      expect(line).toMatch(new RegExp(`^runnable: run twice is being driven by pid ${first.winner.pid} since \\d{4}-\\d\\d-\\d\\dT`));
      writeFileSync(join(cwd, 'go'), '');
      const won = await first.winner.done;
      expect(won.code, won.stderr).toBe(0);
      // the first execute's attempt and one retry's: never two
      expect(readFileSync(join(cwd, 'ran.txt'), 'utf8').trim().split('\n')).toHaveLength(2);
      expect(existsSync(join(cwd, '.run_log_store', 'twice.json'))).toBe(true);
      expect((await cli(['runs', 'list'], cwd)).stdout).toContain('twice\tSUCCESS');
    }
  }, 600_000);
});
