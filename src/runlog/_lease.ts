/**
 * Leases for the file-backed run-log stores (the `acquireLease` capability, types.ts), in
 * `<log_folder>/.leases/<run_id>/`: `run.<n>` for the run, `step-<encoded name>.<n>` for a step
 * (names as `_names.ts` makes them, so they always fit).
 *
 * Each taking creates the next numbered file with O_EXCL, holding the taker as JSON; the lease
 * is the highest number. To take it one reads the highest file: none, released or held by a dead
 * process → create the next number; two takers racing for that number get EEXIST but one, which
 * then holds it. Files are never deleted, only marked released (by their holder), so a taker
 * acting on a stale listing can only create a number that already exists, never skip one:
 * "released" and "dead" never become "held" again, which is what makes the takeover safe.
 * One small file per `execute`/`retry` (and per step process) is left behind.
 */
import { mkdirSync, openSync, closeSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '../util/process.js';
import { isErrno, writeAll, writeFileAtomic } from './_fs.js';
import { recordFileName } from './_names.js';
import { busy, heldLease } from './_records.js';
import type { Lease, LeaseHolder } from './types.js';

interface LeaseFile {
  holder: LeaseHolder;
  released?: boolean;
}

export async function acquireFileLease(logFolder: string, runId: string, holder: LeaseHolder, step?: string): Promise<Lease> {
  const dir = join(logFolder, '.leases', runId);
  mkdirSync(dir, { recursive: true });
  const base = step === undefined ? 'run' : recordFileName('step', step).slice(0, -'.json'.length);
  for (;;) {
    const { n, current } = highest(dir, base);
    if (current && !current.released && isAlive(current.holder)) throw busy(runId, step, current.holder);
    const path = join(dir, `${base}.${n + 1}`);
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (e) {
      if (isErrno(e, 'EEXIST')) continue; // another taker won this number: look again
      throw e;
    }
    try {
      writeAll(fd, JSON.stringify({ holder } satisfies LeaseFile));
    } finally {
      closeSync(fd);
    }
    return heldLease(holder, () => writeFileAtomic(path, JSON.stringify({ holder, released: true } satisfies LeaseFile)));
  }
}

/** the highest-numbered lease file of `base` and what it holds (undefined: none yet, or still being written) */
function highest(dir: string, base: string): { n: number; current: LeaseFile | undefined } {
  let n = 0;
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(base + '.')) continue;
    const num = Number(name.slice(base.length + 1));
    if (Number.isInteger(num) && num > n) n = num;
  }
  if (!n) return { n, current: undefined };
  const path = join(dir, `${base}.${n}`);
  for (let tries = 0; ; tries++) {
    try {
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as LeaseFile;
      if (parsed?.holder && typeof parsed.holder.pid === 'number') return { n, current: parsed };
    } catch {
      // created but not yet written (the taker is between open and write): look again
    }
    // a taker killed between creating and writing leaves an empty file: after a while it is no one's
    if (tries >= 50) return { n, current: undefined };
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
}
