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
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRunnableError } from '../../src/errors.js';
import type { LeaseTiming } from '../../src/runlog/_lease.js';
import { BufferedRunLogStore } from '../../src/runlog/buffered.js';
import { ChunkedFsRunLogStore } from '../../src/runlog/chunked-fs.js';
import { ChunkedS3RunLogStore } from '../../src/runlog/chunked-s3.js';
import { FileSystemRunLogStore } from '../../src/runlog/file-system.js';
import { S3RunLogStore } from '../../src/runlog/s3.js';
import type { LeaseHolder, RunLogStore } from '../../src/runlog/types.js';
import { leaseHolder } from '../../src/runner/lease.js';
import { Bucket } from '../../src/s3/bucket.js';
import { CLI, cleanEnv, cli, workdir, type CliResult } from '../engine/_helpers.js';
import { startS3, type TestS3 } from '../_s3.js';

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3(['leases']);
});
afterAll(async () => {
  await s3?.close();
});

const header = (run_id: string) => ({ run_id, dag_hash: 'h', tag: '', status: 'PROCESSING' as const, run_config: {} });

/**
 * A store kind: `make()` gives a store in a new place; `at(place, timing)` another instance
 * on the same place (another process or machine would build the same one from its config).
 */
interface Kind {
  make(timing?: LeaseTiming): { store: RunLogStore; at(timing?: LeaseTiming): RunLogStore };
}
let places = 0;
const folderKind = (Store: typeof FileSystemRunLogStore | typeof ChunkedFsRunLogStore, name: string): Kind => ({
  make(timing) {
    const logFolder = mkdtempSync(join(tmpdir(), `lease-${name}-`));
    const at = (t?: LeaseTiming) => new Store({ logFolder, leaseTiming: t });
    return { store: at(timing), at };
  },
});
const bucketKind = (Store: typeof S3RunLogStore | typeof ChunkedS3RunLogStore): Kind => ({
  make(timing) {
    const config = s3.config(`leases/place-${++places}`) as ConstructorParameters<typeof Bucket>[0];
    const at = (t?: LeaseTiming) => new Store({ bucket: new Bucket(config), leaseTiming: t });
    return { store: at(timing), at };
  },
});
const persistent: [string, Kind][] = [
  ['file-system', folderKind(FileSystemRunLogStore, 'fs')],
  ['chunked-fs', folderKind(ChunkedFsRunLogStore, 'chunked')],
  ['s3', bucketKind(S3RunLogStore)],
  ['chunked-s3', bucketKind(ChunkedS3RunLogStore)],
];
const stores: [string, () => RunLogStore][] = [
  ...persistent.map(([name, kind]): [string, () => RunLogStore] => [name, () => kind.make().store]),
  ['buffered', () => new BufferedRunLogStore()],
];

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(isRunnableError(e) && e.code, String(e)).toBe('E_RUN_BUSY');
    return (e as Error).message;
  }
  throw new Error('the lease was given twice');
}

/** a holder that is gone: the pid of a process that ran and exited */
function deadHolder(): LeaseHolder {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return { ...leaseHolder(), pid: Number(r.stdout), since: '2020-01-01T00:00:00.000Z' };
}

/** a holder on another machine (a pod, a Slurm node): its process cannot be checked from here */
const podHolder = (): LeaseHolder => ({ pid: 7, host: 'pod-elsewhere-7', process_start: '', since: new Date().toISOString() });
/** a holder's timing that never renews within a test */
const NEVER_RENEWS: LeaseTiming = { renewMs: 3_600_000, expiryMs: 90_000 };

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

describe.each(persistent)('leases of a persistent store (%s)', (_name, kind) => {
  it('a holder whose process is gone, or whose pid now belongs to a process started at another time, loses the lease', async () => {
    const { store } = kind.make();
    await store.create(header('r2'));
    await store.acquireLease!('r2', deadHolder()); // never released: its holder "was killed"
    const taken = await store.acquireLease!('r2', leaseHolder());
    await refusal(store.acquireLease!('r2', leaseHolder()));
    await taken.release();
    await store.acquireLease!('r2', { ...leaseHolder(), process_start: '1' }); // this pid, another start time
    await (await store.acquireLease!('r2', leaseHolder())).release();
  });

  it('of eight takers racing through their own store instances, exactly one gets the lease', async () => {
    const { store, at } = kind.make();
    await store.create(header('race'));
    for (let round = 0; round < 3; round++) {
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => at().acquireLease!('race', leaseHolder())));
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won, `round ${round}`).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect((r.reason as { code?: string }).code, String(r.reason)).toBe('E_RUN_BUSY');
      await (won[0] as PromiseFulfilledResult<{ release(): Promise<void> }>).value.release();
    }
  });

  it('of two creators of one run racing, exactly one creates it', async () => {
    const { at } = kind.make();
    const results = await Promise.allSettled([at().create(header('twin')), at().create(header('twin'))]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(String(lost.reason)).toMatch(/run id 'twin' already exists/);
  });

  it('a holder on another host keeps its lease while it renews it and loses it when it stops: the run refused at once, a step waited for', async () => {
    const { store, at } = kind.make();
    await store.create(header('pods'));
    // a pod's lease that is never renewed (its pod was killed just after taking it)
    await at(NEVER_RENEWS).acquireLease!('pods', podHolder());
    const fresh = await refusal(at({ renewMs: 50, expiryMs: 60_000 }).acquireLease!('pods', leaseHolder()));
    expect(fresh).toMatch(/^run pods is being driven by pid 7 since .* on host pod-elsewhere-7 \(unless it renews its lease, it lapses at \d{4}-/);
    await sleep(5); // more than the next taker's expiry of 1 ms
    const takeover = await at({ renewMs: 50, expiryMs: 1 }).acquireLease!('pods', leaseHolder());
    await refusal(store.acquireLease!('pods', leaseHolder())); // now held by this (live) process
    await takeover.release();

    // a renewing pod: the time its lease lapses moves on while it holds it
    const renewing = await at({ renewMs: 20, expiryMs: 90_000 }).acquireLease!('pods', podHolder());
    const lapse = async () => (await refusal(at().acquireLease!('pods', leaseHolder()))).match(/lapses at (\S+)\)/)![1]!;
    const first = await lapse();
    while ((await lapse()) === first) await sleep(20);
    await renewing.release();
    await (await store.acquireLease!('pods', leaseHolder())).release(); // released: taken at once

    // a step whose pod was killed: the pod started in its place waits until the lease lapses, then takes it
    await at(NEVER_RENEWS).acquireLease!('pods', podHolder(), 'train');
    const replacement = await at({ renewMs: 20, expiryMs: 300 }).acquireLease!('pods', leaseHolder(), 'train');
    await refusal(store.acquireLease!('pods', leaseHolder(), 'train'));
    await replacement.release();
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
  /** one trial in a folder of its own: two retries of a failed run started at once */
  async function trial(n: number): Promise<void> {
    const cwd = failedRun();
    const a = start(cwd);
    const b = start(cwd);
    // the loser ends by itself (the winner waits in its step for `go`)
    const first = await Promise.race([a.done.then((r) => ({ r, loser: a, winner: b })), b.done.then((r) => ({ r, loser: b, winner: a }))]);
    expect(first.r.code, `trial ${n}: ${first.r.stderr}`).toBe(2);
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

  it('of two retries started at once, exactly one proceeds, the other exits 2 naming the driver (30 trials)', async () => {
    // three trials at a time, each in its own folder: they share nothing but the machine
    for (let batch = 0; batch < 30; batch += 3) await Promise.all([0, 1, 2].map((i) => trial(batch + i)));
  }, 600_000);
});
