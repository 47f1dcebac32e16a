/** The job-executor family: config `job-executor: {type, config}` (SPEC §6). */
import { Registry } from '../../registry.js';
import { emulateJob } from './emulate.js';
import { k8sJob, miniK8sJob } from './k8s-job.js';
import { localJob } from './local.js';
import { localContainerJob } from './local-container.js';
import { slurmJob } from './slurm.js';
import type { JobExecutor } from './types.js';

export type { JobExecutor, JobPlace } from './types.js';
export { runJobTask, JOB_STEP } from './run-task.js';

export const jobExecutors = new Registry<JobExecutor>('job-executor').register('local', localJob);
jobExecutors.register('local-container', localContainerJob);
jobExecutors.register('slurm', slurmJob);
jobExecutors.register('emulate', emulateJob);
// runnable's spelling (its 11-jobs/emulate.yaml), so its job configs run unchanged
jobExecutors.register('emulator', emulateJob);
jobExecutors.register('k8s-job', k8sJob);
jobExecutors.register('mini-k8s-job', miniK8sJob);
