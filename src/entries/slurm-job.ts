/**
 * What a Slurm job of the `slurm` executors runs: `node dist/bundle/slurm-job.mjs SPEC.json` (this
 * file, bundled by scripts/bundle.mjs). The spec file (written by executors/_slurm_session.ts,
 * `SlurmJobSpec`) names the program and, per element of the job (one for a plain job, one per
 * element for a job array), its arguments and extra environment; this picks the element's
 * (`SLURM_ARRAY_TASK_ID`, else 0), runs the program in this process, and leaves its exit status
 * in `<spec without .json>.<element>.rc` next to the job's `.out`/`.err` files, since Slurm's
 * own record of it needs `sacct`. A detached run's driver job has a `drive` spec instead.
 *
 * So the only thing the job script interpolates is the path of this file and of node: what a
 * step is (run id, pipeline, step name, map variables) never passes through a shell.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { DriveSpec, SlurmJobSpec } from '../executors/slurm.js';
import { exitWhenDrained } from './_exit.js';

async function run(): Promise<number> {
  const specFile = process.argv[2];
  if (!specFile) {
    process.stderr.write('usage: node slurm-job.mjs SPEC.json\n');
    return 2;
  }
  const spec = JSON.parse(readFileSync(specFile, 'utf8')) as Partial<SlurmJobSpec> & { drive?: DriveSpec };
  if (spec.drive) {
    const [{ driveDetached }, { withStepSignals }] = await Promise.all([import('./slurm-driver.js'), import('../cli/execute-single-node.js')]);
    return withStepSignals((signal) => driveDetached(spec.drive!, signal));
  }
  const index = Number(process.env.SLURM_ARRAY_TASK_ID ?? 0);
  const args = spec.argv?.[index];
  if (!args) {
    process.stderr.write(`runnable slurm job: element ${index} is not in ${specFile}\n`);
    return 2;
  }
  Object.assign(process.env, spec.env?.[index]);
  let code: number;
  try {
    code = spec.program === 'job-task' ? await (await import('./job-task.js')).runJobTaskEntry(args) : await (await import('../cli/main.js')).main(args);
  } catch (err) {
    process.stderr.write(`runnable: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    code = 1;
  }
  writeFileSync(`${specFile.replace(/\.json$/, '')}.${index}.rc`, `${code}\n`);
  return code;
}

run().then(exitWhenDrained, (err) => {
  process.stderr.write(`runnable slurm job: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
