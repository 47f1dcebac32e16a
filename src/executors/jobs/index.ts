/** The job-executor family: config `job-executor: {type, config}` (SPEC §6). */
import { Registry } from '../../registry.js';
import { localJob } from './local.js';
import { localContainerJob } from './local-container.js';
import { slurmJob } from './slurm.js';
import type { JobExecutor } from './types.js';

export type { JobExecutor } from './types.js';
export { runJobTask, JOB_STEP } from './_run.js';

export const jobExecutors = new Registry<JobExecutor>('job-executor').register('local', localJob);
jobExecutors.register('local-container', localContainerJob);
jobExecutors.register('slurm', slurmJob);
