/**
 * Before `retry` re-runs steps of an interrupted run, no step process of the run may still be
 * running: a second copy would run beside it. Step processes are tied to their runner
 * (src/util/lifeline.ts) and stop when it dies, but stopping takes a moment (a step's SIGTERM
 * handler, its record of the failure). So the retrying driver, which holds the run's lease and is
 * therefore its only driver, finds the run's processes on this host — each step process has
 * `RUNNABLE_RUN_ID=<run id>` in its environment, which Linux shows in /proc/<pid>/environ — waits
 * for them to end, and kills those still there after a grace period. Its own ancestors (a shell
 * the user started with that variable set) are left alone. Where /proc is missing the lifeline
 * alone applies. Processes on other hosts (Slurm, containers) are their executor's to stop.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { procStat, processStart } from '../util/process.js';

const WAIT_MS = 15_000;
const POLL_MS = 100;

/** waits for the step processes of `runId` still running on this host to end; kills them after WAIT_MS */
export async function stopStepProcesses(runId: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (let pids = processesOfRun(runId); pids.length; pids = processesOfRun(runId)) {
    if (Date.now() >= deadline) {
      for (const pid of pids) kill(pid);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** live processes (not this one or its ancestors) whose environment says they belong to `runId` */
export function processesOfRun(runId: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const mine = ancestors();
  const wanted = Buffer.from(`RUNNABLE_RUN_ID=${runId}\0`);
  const found: number[] = [];
  for (const name of entries) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 0 || mine.has(pid)) continue;
    try {
      const env = readFileSync(`/proc/${pid}/environ`);
      if ((env.indexOf(wanted) === 0 || env.indexOf(Buffer.concat([Buffer.from([0]), wanted])) >= 0) && processStart(pid) !== undefined) found.push(pid);
    } catch {
      // gone, or another user's
    }
  }
  return found;
}

function ancestors(): Set<number> {
  const seen = new Set<number>([process.pid]);
  for (let pid = process.ppid; pid > 1 && !seen.has(pid); ) {
    seen.add(pid);
    const ppid = procStat(pid)?.[1];
    if (!ppid) break;
    pid = Number(ppid);
  }
  return seen;
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
