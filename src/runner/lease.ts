/**
 * One live driver per run, one live process per step (the store's `acquireLease` capability,
 * src/runlog/types.ts).
 *
 * - `execute`, `retry` and a detached Slurm driver job hold the run's lease while they drive
 *   it; a second `retry` (or an `execute --run-id` of a run being driven) exits 2 E_RUN_BUSY.
 * - `execute-single-node` and `fan` run one step of a run someone else drives: the emulate
 *   executor's child processes, a container, a Slurm job, an Argo pod. They cannot check that
 *   the run's holder is "their" driver (a pod or a Slurm job has no parent process to compare
 *   with), so they take the step's own lease instead: two processes never run one step (or open
 *   or close one composite) at once, and the driver's lease does not refuse its own steps.
 * A killed holder's lease is taken over by the next taker (its pid is gone, or was reused by a
 * process that started at another time).
 */
import type { Lease, LeaseHolder, RunLogStore } from '../runlog/types.js';
import { thisProcess } from '../util/process.js';

export function leaseHolder(): LeaseHolder {
  return { ...thisProcess(), since: new Date().toISOString() };
}

/** the run's lease, or undefined for a store without the capability (then `retry` checks the header's runner) */
export async function takeRunLease(store: RunLogStore, runId: string): Promise<Lease | undefined> {
  return store.acquireLease?.(runId, leaseHolder());
}

/** a step's lease (`internalName` resolved), for a process that runs one step of a run */
export async function takeStepLease(store: RunLogStore, runId: string, internalName: string): Promise<Lease | undefined> {
  return store.acquireLease?.(runId, leaseHolder(), internalName);
}
