/** The file stores' lease entries (`_lease.ts`): numbered files in `<log_folder>/.leases/<run_id>/`, created with O_EXCL. */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isErrno, writeAll, writeFileAtomic } from './_fs.js';
import { acquireNumberedLease, type LeaseMedium, type LeaseTiming } from './_lease.js';
import type { Lease, LeaseHolder } from './types.js';

export function acquireFileLease(logFolder: string, runId: string, holder: LeaseHolder, step: string | undefined, timing?: LeaseTiming): Promise<Lease> {
  return acquireNumberedLease(fileLeases(join(logFolder, '.leases', runId)), runId, holder, step, timing);
}

/** every lease entry of the run (the run's and its steps'), for `deleteRun`: the caller has abandoned its own */
export function deleteFileLeases(logFolder: string, runId: string): void {
  rmSync(join(logFolder, '.leases', runId), { recursive: true, force: true });
}

function fileLeases(dir: string): LeaseMedium {
  const path = (base: string, n: number) => join(dir, `${base}.${n}`);
  /** O_EXCL, making the run's lease folder on its first lease */
  const openExclusive = (file: string): number => {
    try {
      return openSync(file, 'wx');
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) throw e;
      mkdirSync(dir, { recursive: true });
      return openSync(file, 'wx');
    }
  };
  return {
    async names() {
      try {
        return readdirSync(dir);
      } catch (e) {
        if (isErrno(e, 'ENOENT')) return []; // no lease taken yet: the folder comes with the first
        throw e;
      }
    },
    async read(base, n) {
      try {
        return readFileSync(path(base, n), 'utf8');
      } catch (e) {
        if (isErrno(e, 'ENOENT')) return undefined;
        throw e;
      }
    },
    async create(base, n, text) {
      let fd: number;
      try {
        fd = openExclusive(path(base, n));
      } catch (e) {
        if (isErrno(e, 'EEXIST')) return false;
        throw e;
      }
      try {
        writeAll(fd, text);
      } finally {
        closeSync(fd);
      }
      return true;
    },
    async replace(base, n, text) {
      writeFileAtomic(path(base, n), text);
    },
  };
}
