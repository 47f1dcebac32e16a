/**
 * Numbered leases, the `acquireLease` capability (types.ts) of the persistent run-log stores:
 * the file stores keep them in `<log_folder>/.leases/<run_id>/`, the S3 stores under
 * `RUN_ID/.leases/` in the bucket (`_s3-lease.ts`); `run.<n>` for the run, `step-<encoded
 * name>.<n>` for a step (names as `_names.ts` makes them, so they always fit).
 *
 * Each taking creates the next numbered entry exclusively (O_EXCL, or a conditional PUT), holding
 * the taker as JSON; the lease is the highest number. To take it one reads the highest entry:
 * none, released or lapsed → create the next number; two takers racing for that number: one
 * creates it, the other is refused and looks again. Entries are never deleted, only marked
 * released by their holder, so a taker acting on a stale listing can only try a number that
 * already exists, never skip one: "released" and "lapsed" never become "held" again, which is
 * what makes the takeover safe.
 *
 * When does a holder count as gone? On this host, when its process is (its pid is gone, or was
 * reused by a process that started at another time). A process on another host (a pod, another
 * Slurm node, a colleague's laptop on the same bucket) cannot be checked from here, so a holder
 * renews its entry every `renewMs` while it holds it, and an entry from another host that has
 * not been renewed for `expiryMs` has lapsed. The hosts' clocks must agree to well within
 * `expiryMs` (NTP does). A step's lease held on another host is waited for, up to one expiry:
 * a pod that was killed (OOM, node lost) leaves its step's lease behind, and the pod Argo or
 * Kubernetes starts in its place takes it once it lapses instead of failing at once.
 */
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from '../util/process.js';
import { recordFileName } from './_names.js';
import { busy, heldLease } from './_records.js';
import type { Lease, LeaseHolder } from './types.js';

export interface LeaseTiming {
  /** how often a holder rewrites its entry */
  renewMs: number;
  /** how long an entry from another host stays held without a renewal */
  expiryMs: number;
}

export const LEASE_TIMING: LeaseTiming = { renewMs: 20_000, expiryMs: 90_000 };

/** Where a store keeps the numbered entries of one run's leases. */
export interface LeaseMedium {
  /** the names of the entries taken for `base` (`<base>.<n>`; others may come along) */
  names(base: string): Promise<Iterable<string>>;
  /** entry `n`'s text; undefined when it is absent or not yet written */
  read(base: string, n: number): Promise<string | undefined>;
  /** creates entry `n`; false when it exists already (another taker has it) */
  create(base: string, n: number, text: string): Promise<boolean>;
  /** rewrites the holder's own entry (a renewal, the release) */
  replace(base: string, n: number, text: string): Promise<void>;
}

interface LeaseEntry {
  holder: LeaseHolder;
  /** when the holder last rewrote the entry, ISO-8601; absent: `holder.since` */
  renewed?: string;
  released?: boolean;
}

/** a medium's entry name for the run's lease (no `step`) or a step's */
export const leaseBase = (step?: string): string => (step === undefined ? 'run' : recordFileName('step', step).slice(0, -'.json'.length));

export async function acquireNumberedLease(
  medium: LeaseMedium,
  runId: string,
  holder: LeaseHolder,
  step: string | undefined,
  timing: LeaseTiming = LEASE_TIMING,
): Promise<Lease> {
  const base = leaseBase(step);
  let waitUntil: number | undefined;
  for (;;) {
    const n = highest(await medium.names(base), base);
    const current = n ? await readEntry(medium, base, n) : undefined;
    if (current && held(current, timing)) {
      const foreign = current.holder.host !== hostname();
      if (step === undefined || !foreign) throw busy(runId, step, current.holder, foreign ? lapsesAt(current, timing) : undefined);
      waitUntil ??= Date.now() + timing.expiryMs + timing.renewMs;
      if (Date.now() >= waitUntil) throw busy(runId, step, current.holder, lapsesAt(current, timing));
      await sleep(Math.min(timing.renewMs, timing.expiryMs / 4));
      continue;
    }
    const entry: LeaseEntry = { holder, renewed: new Date().toISOString() };
    if (!(await medium.create(base, n + 1, JSON.stringify(entry)))) continue; // another taker won this number: look again
    return holding(medium, base, n + 1, holder, timing);
  }
}

/** the highest number among `<base>.<n>` entry names; 0 for none */
function highest(names: Iterable<string>, base: string): number {
  let n = 0;
  for (const name of names) {
    if (!name.startsWith(base + '.')) continue;
    const num = Number(name.slice(base.length + 1));
    if (Number.isInteger(num) && num > n) n = num;
  }
  return n;
}

/** the entry, read again while it is being written; a taker killed before writing leaves one that is no one's */
async function readEntry(medium: LeaseMedium, base: string, n: number): Promise<LeaseEntry | undefined> {
  for (let tries = 0; tries < 50; tries++) {
    const text = await medium.read(base, n);
    try {
      const parsed = text === undefined ? undefined : (JSON.parse(text) as LeaseEntry);
      if (parsed?.holder && typeof parsed.holder.pid === 'number') return parsed;
    } catch {
      // created but not yet written (the taker is between open and write): look again
    }
    await sleep(10);
  }
  return undefined;
}

function held(entry: LeaseEntry, timing: LeaseTiming): boolean {
  if (entry.released) return false;
  if (entry.holder.host === hostname()) return isAlive(entry.holder);
  return Date.now() < Date.parse(entry.renewed ?? entry.holder.since) + timing.expiryMs;
}

const lapsesAt = (entry: LeaseEntry, timing: LeaseTiming): string =>
  new Date(Date.parse(entry.renewed ?? entry.holder.since) + timing.expiryMs).toISOString();

/**
 * The held lease: renewed every `renewMs` (a timer that does not keep the process alive) until
 * released, or abandoned (the timer stops and nothing is written: the run is being deleted).
 * Writes of the entry take turns, so a renewal still in flight can never land after the release
 * (or the deletion) and make the entry held again.
 */
function holding(medium: LeaseMedium, base: string, n: number, holder: LeaseHolder, timing: LeaseTiming): Lease {
  let writes: Promise<void> = Promise.resolve();
  let done = false;
  const write = (entry: LeaseEntry) => {
    writes = writes.then(() => medium.replace(base, n, JSON.stringify(entry))).catch(() => undefined); // a failed renewal is retried by the next
    return writes;
  };
  const timer = setInterval(() => {
    if (!done) void write({ holder, renewed: new Date().toISOString() });
  }, timing.renewMs);
  timer.unref();
  const stop = async () => {
    done = true;
    clearInterval(timer);
    await writes;
  };
  return heldLease(
    holder,
    async () => {
      await stop();
      try {
        await medium.replace(base, n, JSON.stringify({ holder, renewed: new Date().toISOString(), released: true } satisfies LeaseEntry));
      } catch {
        // the mark could not be written (a full disk): not the command's failure, nor one to hide
        // the run's own error behind; the entry stops counting once this process is gone (from
        // another host, once it lapses), as a holder's that was killed
      }
    },
    stop,
  );
}
