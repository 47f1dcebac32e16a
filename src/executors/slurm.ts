/**
 * `slurm`: every step of the run is a Slurm batch job running the step-at-a-time protocol
 * (`runnable execute-single-node` for tasks and stubs, `runnable fan ... in|out` for composites),
 * driven by the shared protocol traversal (engine/protocol.ts) with the Slurm launcher
 * (_slurm_launcher.ts) in the `runnable execute`
 * process, which follows the jobs with `squeue` and reads each step's outcome from the run log.
 *
 * - Sequential parts are submitted ahead as a chain: when the traversal reaches a task or stub,
 *   it and every task/stub that follows by `next` are submitted at once, each with
 *   `--dependency=afterok:<previous job> --kill-on-invalid-dep=yes`, so Slurm starts each step
 *   as soon as the one before succeeds. A failed step's chain is cancelled (Slurm does it; so do
 *   we) and the traversal goes on to its `on_failure`.
 * - Branches run side by side (all at once, or `max_parallel`). The branches of a map are job
 *   arrays: the leading tasks of its branch are one array each, element i of the next depending
 *   on element i of the one before (`aftercorr`); `max_parallel` throttles the array (`%N`).
 * - Composites open and close with `fan` jobs: what a map iterates on, which branch a
 *   conditional takes and whether a loop goes on are decided at run time, in the cluster. The
 *   fan-in job is submitted once every branch has ended.
 * - Each step records the Slurm job that ran it in its `code_identities`:
 *   `{code_identifier_type: 'slurm', code_identifier: '<job id>'}` (`123`, or `123_4` for an
 *   array element), after the git identity; a composite records its fan jobs.
 * - Ctrl-C (the run's abort signal) cancels every job of the run; a job cancelled or killed
 *   mid-step (scancel, time limit, out of memory) fails its step with Slurm's reason, and
 *   `runnable retry` runs it again.
 *
 * Steps' stdout/stderr go to `<log_folder>/<run_id>/` (default `.slurm_logs/`), and are shown
 * when the step ends. The run log must take concurrent writers (`chunked-fs`) for steps to run
 * side by side or ahead; with `file-system` every step is submitted after the one before ended.
 *
 * @example
 * # runnable-config.yaml
 * pipeline-executor:
 *   type: slurm
 *   config:
 *     partition: cpu
 *     time: "01:00:00"
 *     mem: 4G
 *     sbatch_options: ["--qos=normal"]
 *     overrides:
 *       gpu: {partition: gpu, gres: "gpu:1", cpus_per_task: 8}
 * run-log-store:
 *   type: chunked-fs
 * # and on a task: overrides: {slurm: gpu}
 */
import * as z from 'zod';
import type { Pipeline, PipelineNode } from '../graph/model.js';
import { walkNodes } from '../graph/walk.js';
import type { Plugin } from '../registry.js';
import type { RunLogStore, Status } from '../runlog/types.js';
import type { RunContext } from '../engine/context.js';
import { ProtocolTraversal } from '../engine/protocol.js';
import { fileForOtherProcesses, overrideFor } from './_elsewhere.js';
import { withSlurmSession, type SlurmResources } from './_slurm_session.js';
import { SlurmLauncher } from './_slurm_launcher.js';
import { detachRun } from './_slurm_detach.js';

export type { DriveSpec } from './_slurm_detach.js';
export type { SlurmJobSpec } from './_slurm_session.js';
import type { PipelineExecutor } from './types.js';

/** A job's resources, as the config gives them (shared with the slurm job executor). */
export const slurmResources = {
  partition: z.string().min(1).optional(),
  account: z.string().min(1).optional(),
  /** time limit, in any format `sbatch --time` takes: `30`, `01:00:00`, `1-00:00:00` */
  time: z.string().min(1).optional(),
  cpus_per_task: z.number().int().min(1).optional(),
  /** memory per node, as `sbatch --mem`: `4G`, `500M` */
  mem: z.string().min(1).optional(),
  gres: z.string().min(1).optional(),
  /** more `sbatch` options, one per item, e.g. `--qos=high`, `--constraint=avx2` */
  sbatch_options: z.array(z.string().regex(/^-/, 'an sbatch option starts with -')).optional(),
};
const resources = slurmResources;

export const slurmConfig = z.strictObject({
  ...resources,
  /** per-step settings, picked by a step's `overrides: {slurm: NAME}`; merged over the above */
  overrides: z.record(z.string(), z.strictObject(resources)).default({}),
  /** branches of a parallel or map step running at once (default: all) */
  max_parallel: z.number().int().min(1).optional(),
  /** map branches as job arrays (false: one job per branch and step) */
  job_arrays: z.boolean().default(true),
  /** where the jobs' output files go, relative to the working directory */
  log_folder: z.string().min(1).default('.slurm_logs'),
  /** seconds between two `squeue` calls while jobs are followed */
  poll_interval: z.number().positive().default(0.5),
  /**
   * `runnable execute` submits a driver job that runs the pipeline inside the cluster, and
   * returns at once (the run stays PROCESSING until the driver job settles it)
   */
  detach: z.boolean().default(false),
  /** the driver job's time limit (`sbatch --time`); it lives as long as the run */
  driver_time: z.string().min(1).optional(),
});
export type SlurmConfig = z.infer<typeof slurmConfig>;

export class SlurmExecutor implements PipelineExecutor {
  readonly type = 'slurm';
  /** the jobs write the run log: nothing may be cached */
  readonly exclusive = false;
  constructor(private readonly config: SlurmConfig) {}

  /** A step naming an `overrides` entry that the config does not have is an error before the run. */
  pipelineToCheck(pipeline: Pipeline, store: RunLogStore): Pipeline {
    fileForOtherProcesses(store, pipeline.source, 'pipeline', 'slurm', 'in Slurm jobs');
    for (const node of walkNodes(pipeline.graph)) resourcesFor(this.config, node);
    return pipeline;
  }

  /** `--detach`: as `detach: true` in the config */
  detached(): SlurmExecutor {
    return new SlurmExecutor({ ...this.config, detach: true });
  }

  async execute(rc: RunContext): Promise<Status> {
    if (this.config.detach) return detachRun(rc, this.config);
    const shared = rc.log.store.concurrentWriters;
    const width = shared ? (this.config.max_parallel ?? Number.POSITIVE_INFINITY) : 1;
    let launcher: SlurmLauncher | undefined;
    return withSlurmSession(
      rc,
      this.config.log_folder,
      this.config.poll_interval,
      (session) => {
        launcher = new SlurmLauncher(session, {
          resourcesOf: (node) => resourcesFor(this.config, node),
          aheadOk: shared,
          jobArrays: this.config.job_arrays,
          throttle: Number.isFinite(width) ? width : undefined,
        });
        return new ProtocolTraversal(width, launcher).runGraph(rc, rc.pipeline.graph, []);
      },
      async () => {
        if (rc.signal.aborted) await launcher?.recordInterrupted(rc);
      },
    );
  }
}

/** The job's resources: the config's, with the step's `overrides: {slurm: NAME}` entry over them. */
export function resourcesFor(config: SlurmConfig, node: PipelineNode): SlurmResources {
  const { overrides: _o, max_parallel: _m, job_arrays: _j, log_folder: _l, poll_interval: _p, detach: _d, driver_time: _t, ...base } = config;
  const entry = overrideFor(config.overrides, node, 'slurm');
  if (!entry) return base;
  return { ...base, ...entry, sbatch_options: [...(base.sbatch_options ?? []), ...(entry.sbatch_options ?? [])] };
}

export const slurm: Plugin<PipelineExecutor, SlurmConfig> = {
  config: slurmConfig,
  create: (config) => new SlurmExecutor(config),
};
