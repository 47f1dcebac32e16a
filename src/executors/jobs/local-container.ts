/**
 * `local-container` job executor: the job's task runs in a container on this machine (podman,
 * or docker when a docker engine answers), with the same settings, mounts, environment and
 * image identity as the `local-container` pipeline executor (src/executors/local-container.ts).
 * The container runs src/entries/job-task.ts (bundled: dist/bundle/container-job.mjs), which executes the task as the `local` job executor
 * would and records it in the run log's `job` section; a container that dies without recording
 * its end (killed, out of memory) fails the job with the exit status and stderr tail.
 *
 * @example
 * # runnable-config.yaml
 * job-executor:
 *   type: local-container
 *   config:
 *     docker_image: localhost/runnable-ts-node:latest
 *     environment: {LOG_LEVEL: info}
 * run-log-store:
 *   type: chunked-fs
 */
import * as z from 'zod';
import type { Job } from '../../graph/model.js';
import type { Plugin } from '../../registry.js';
import type { RunLogStore, Status } from '../../runlog/types.js';
import type { RunContext } from '../../engine/context.js';
import { containerSettings, detectEngine, engineSetting, imageProblems, requireImage } from '../_container.js';
import { ContainerLauncher, containerSettingsOf } from '../_container_launcher.js';
import type { JobExecutor } from './types.js';
import { jobFileFor, runJobElsewhere } from './_remote.js';

export const localContainerJobConfig = requireImage(z.strictObject({ ...containerSettings, engine: engineSetting }), 'the job');
export type LocalContainerJobConfig = z.infer<typeof localContainerJobConfig>;

export class LocalContainerJobExecutor implements JobExecutor {
  readonly type = 'local-container';
  /** the container writes the run log */
  readonly exclusive = false;
  constructor(
    private readonly config: LocalContainerJobConfig,
    private readonly configFile?: string,
  ) {}

  /** The job file can reach the container, and its image is there or can be pulled (exit 2 before the run). */
  async check(job: Job, store: RunLogStore, _catalog: unknown, opts: { dryRun: boolean }): Promise<void> {
    jobFileFor(store, job, this.type, 'in a container');
    if (opts.dryRun) return;
    const [problem] = await imageProblems(this.config.engine, new Map([[containerSettingsOf(this.config).image, undefined]]), { file: this.configFile, field: 'job-executor.config.docker_image' });
    if (problem) throw problem;
  }

  async execute(rc: RunContext, job: Job): Promise<Status> {
    const file = jobFileFor(rc.log.store, job, this.type, 'in a container');
    // a job has no `overrides` entries to pick from: the config is the job's
    const settings = containerSettingsOf(this.config);
    const launcher = new ContainerLauncher(await detectEngine(this.config.engine), () => settings, () => file);
    return runJobElsewhere(rc, job, this.type, 'in a container', launcher, "the job's container");
  }
}

export const localContainerJob: Plugin<JobExecutor, LocalContainerJobConfig> = {
  config: localContainerJobConfig,
  create: (config, env) => new LocalContainerJobExecutor(config, env.configFile),
};
