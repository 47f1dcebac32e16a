/**
 * `local` job executor (the default): the job's task runs in this process.
 *
 * @example
 * # runnable-config.yaml
 * job-executor:
 *   type: local
 */
import * as z from 'zod';
import type { Job } from '../../graph/model.js';
import type { Plugin } from '../../registry.js';
import type { RunContext } from '../../engine/context.js';
import { runJobTask } from './run-task.js';
import type { JobExecutor } from './types.js';

export const localJobConfig = z.strictObject({});

export class LocalJobExecutor implements JobExecutor {
  readonly type = 'local';
  readonly exclusive = true;

  execute(rc: RunContext, job: Job) {
    return runJobTask(rc, job.task);
  }
}

export const localJob: Plugin<JobExecutor, z.infer<typeof localJobConfig>> = {
  config: localJobConfig,
  create: () => new LocalJobExecutor(),
};
