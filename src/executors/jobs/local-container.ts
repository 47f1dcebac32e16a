/**
 * `local-container` job executor: the job's task runs in a container on this machine (podman,
 * or docker when a docker engine answers), with the same settings, mounts, environment and
 * image identity as the `local-container` pipeline executor (src/executors/local-container.ts).
 * The container runs `_container_job.ts` (bundled: dist/bundle/container-job.mjs), which executes the task as the `local` job executor
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
import { z } from 'zod';
import type { Job } from '../../graph/model.js';
import type { Plugin } from '../../registry.js';
import type { RunLogStore, Status } from '../../runlog/types.js';
import type { RunContext } from '../context.js';
import { containerSettings, detectEngine, engineSetting, requireImage } from '../_container.js';
import type { JobExecutor } from './types.js';
import { JOB_STEP } from './_run.js';
import { jobFileFor, processEnd, settleRemoteJob } from './_remote.js';
import { installed } from '../../util/package-root.js';

const ENTRY = installed('dist/bundle/container-job.mjs');

export const localContainerJobConfig = requireImage(z.strictObject({ ...containerSettings, engine: engineSetting }), 'the job');
export type LocalContainerJobConfig = z.infer<typeof localContainerJobConfig>;

export class LocalContainerJobExecutor implements JobExecutor {
  readonly type = 'local-container';
  /** the container writes the run log */
  readonly exclusive = false;
  constructor(private readonly config: LocalContainerJobConfig) {}

  check(job: Job, store: RunLogStore): void {
    jobFileFor(store, job, this.type, 'in a container');
  }

  async execute(rc: RunContext, job: Job): Promise<Status> {
    const file = jobFileFor(rc.log.store, job, this.type, 'in a container');
    // loaded now, not with this module: the executors import the runner, which imports this family
    const { ContainerTraversal } = await import('../local-container.js');
    const engine = await detectEngine(this.config.engine);
    const traversal = new ContainerTraversal(1, { ...this.config, max_parallel: 1, overrides: {} }, engine, ENTRY);
    // a job has no `overrides` entries to pick from: the config is the job's
    const task = { ...job.task, overrides: {} };
    const before = (await rc.log.job())?.attempts.length ?? 0;
    rc.observer.stepStarted?.({ internalName: JOB_STEP, type: 'job', attempt: before + 1 });
    const args = [rc.runId, file, ...(rc.configFile ? [rc.configFile] : [])];
    const result = await traversal.launch(rc, { kind: 'execute-single-node', args, node: task, internalName: JOB_STEP });

    // the run log is the truth; a container that died before recording the job's end fails it
    const identity = await traversal.identity(task);
    return settleRemoteJob(rc, before, processEnd("the job's container", result), (ids) => [...ids.filter((c) => c.code_identifier_type !== 'docker'), identity]);
  }
}

export const localContainerJob: Plugin<JobExecutor, LocalContainerJobConfig> = {
  config: localContainerJobConfig,
  create: (config) => new LocalContainerJobExecutor(config),
};
