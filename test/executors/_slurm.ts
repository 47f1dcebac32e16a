/** The single-node Slurm cluster of the tests (scripts/slurm-up.sh); the tests fail, not skip, when it cannot run. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from '../examples/_run.js';

/** Brings the single-node cluster up (idempotent); throws with the script's output if it cannot. */
export function ensureCluster(): void {
  try {
    execFileSync('bash', [join(REPO, 'scripts', 'slurm-up.sh')], { stdio: 'pipe', timeout: 120_000 });
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer; message: string };
    throw new Error(`no Slurm cluster: scripts/slurm-up.sh failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}
