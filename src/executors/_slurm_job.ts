/**
 * What a Slurm job of the `slurm` executor runs: `node dist/bundle/slurm-job.mjs SPEC.json` (this file, bundled by scripts/bundle.mjs). The spec file
 * (written by the executor, see _slurm_session.ts) holds the `runnable` arguments of every element
 * of the job (one for a plain job, one per element for a job array); this picks the element's
 * (`SLURM_ARRAY_TASK_ID`, else 0), runs `runnable <args>` in this process, and leaves its exit
 * status in `<spec without .json>.<element>.rc` next to the job's `.out`/`.err` files, since
 * Slurm's own record of it needs `sacct`.
 *
 * So the only thing the job script interpolates is the path of this file and of node: what a
 * step is (run id, pipeline, step name, map variables) never passes through a shell.
 */
import { readFileSync, writeFileSync } from 'node:fs';

interface JobSpec {
  /** per element: the arguments after `runnable` */
  argv?: string[][];
  /** a job run's task (job executor `slurm`, see jobs/slurm.ts) */
  jobTask?: { runId: string; cwd: string; configFile?: string };
  /** a detached run's driver job (see _slurm_drive.ts) */
  drive?: import('./_slurm_drive.js').DriveSpec;
}

async function run(): Promise<number> {
  const specFile = process.argv[2];
  if (!specFile) {
    process.stderr.write('usage: node slurm-job.mjs SPEC.json\n');
    return 2;
  }
  const spec = JSON.parse(readFileSync(specFile, 'utf8')) as JobSpec;
  if (spec.drive) {
    const [{ driveDetached }, { withStepSignals }] = await Promise.all([import('./_slurm_drive.js'), import('../cli/execute-single-node.js')]);
    return withStepSignals((signal) => driveDetached(spec.drive!, signal));
  }
  const index = Number(process.env.SLURM_ARRAY_TASK_ID ?? 0);
  if (spec.jobTask) {
    const [{ executeJobTask }, { withStepSignals, stepObserver }] = await Promise.all([import('../runner/job-task.js'), import('../cli/execute-single-node.js')]);
    const t = spec.jobTask;
    const code = await withStepSignals(async (signal) =>
      (await executeJobTask({ runId: t.runId, cwd: t.cwd, configFile: t.configFile, signal, observer: stepObserver({ quiet: true }) })) === 'SUCCESS' ? 0 : 1,
    );
    writeFileSync(`${specFile.replace(/\.json$/, '')}.${index}.rc`, `${code}\n`);
    return code;
  }
  const args = spec.argv?.[index];
  if (!args) {
    process.stderr.write(`runnable slurm job: element ${index} is not in ${specFile}\n`);
    return 2;
  }
  const rcFile = `${specFile.replace(/\.json$/, '')}.${index}.rc`;
  const { main } = await import('../cli/main.js');
  let code: number;
  try {
    code = await main(args);
  } catch (err) {
    process.stderr.write(`runnable: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    code = 1;
  }
  writeFileSync(rcFile, `${code}\n`);
  return code;
}

run().then(
  // exit even if a step left handles open, once stdout has drained (as bin/runnable.js does)
  (code) => process.stdout.write('', () => process.exit(code)),
  (err) => {
    process.stderr.write(`runnable slurm job: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
