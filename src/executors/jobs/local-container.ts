/**
 * `local-container` job executor: the job's task runs in a container on this machine (podman,
 * or docker when a docker engine answers), with the same settings, mounts, environment and
 * image identity as the `local-container` pipeline executor (src/executors/local-container.ts).
 * The container runs `_container_job.js`, which executes the task as the `local` job executor
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
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { RunnableError } from '../../errors.js';
import type { Job } from '../../graph/model.js';
import { newAttempt, now } from '../../nodes/_common.js';
import type { Plugin } from '../../registry.js';
import type { JobLog, Status } from '../../runlog/types.js';
import type { RunContext } from '../context.js';
import { containerSettings, detectEngine, engineSetting, requireImage } from '../_container.js';
import type { JobExecutor } from './types.js';
import { JOB_STEP } from './_run.js';

const ENTRY = fileURLToPath(new URL('./_container_job.js', import.meta.url));

export const localContainerJobConfig = requireImage(z.strictObject({ ...containerSettings, engine: engineSetting }), 'the job');
export type LocalContainerJobConfig = z.infer<typeof localContainerJobConfig>;

export class LocalContainerJobExecutor implements JobExecutor {
  readonly type = 'local-container';
  /** the container writes the run log */
  readonly exclusive = false;
  constructor(private readonly config: LocalContainerJobConfig) {}

  async execute(rc: RunContext, job: Job): Promise<Status> {
    if (rc.log.store.type === 'buffered') {
      throw new RunnableError('E_CONFIG', "the local-container job executor runs the job in a container, which cannot see the 'buffered' run-log store: use chunked-fs or file-system", {
        field: 'run-log-store.type',
      });
    }
    // loaded now, not with this module: the executors import the runner, which imports this family
    const [{ pipelineFile }, { ContainerTraversal }] = await Promise.all([import('../_protocol.js'), import('../local-container.js')]);
    const file = pipelineFile(rc); // a job built in memory cannot be loaded in a container
    const engine = await detectEngine(this.config.engine);
    const traversal = new ContainerTraversal(1, { ...this.config, max_parallel: 1, overrides: {} }, engine, ENTRY);
    // a job has no `overrides` entries to pick from: the config is the job's
    const task = { ...job.task, overrides: {} };
    const before = (await rc.log.job())?.attempts.length ?? 0;
    rc.observer.stepStarted?.({ internalName: JOB_STEP, type: 'job', attempt: before + 1 });
    const args = [rc.runId, file, ...(rc.configFile ? [rc.configFile] : [])];
    const result = await traversal.launch(rc, { kind: 'execute-single-node', args, node: task, internalName: JOB_STEP });

    // the run log is the truth; a container that died before recording the job's end fails it
    let log = await rc.log.job();
    if (!log || log.status === 'PROCESSING' || log.attempts.length <= before) {
      const how = result.error ? `could not start: ${result.error}` : result.signal ? `was killed by ${result.signal}` : `exited with code ${result.exitCode}`;
      const tail = result.stderrTail.trim();
      const message = `the job's container ${how}${rc.signal.aborted ? ' (interrupted)' : ''}${tail ? `\n--- stderr (last lines) ---\n${tail}` : ''}`;
      const base: JobLog = log ?? { status: 'CREATED', message: '', mock: false, code_identities: [], attempts: [], data_catalog: [] };
      const attempt = { ...newAttempt(base.attempts.length + 1), status: 'FAIL' as const, message, end_time: now() };
      log = { ...base, status: 'FAIL', message, attempts: [...base.attempts, attempt] };
    }
    const identity = await traversal.identity(task);
    log = { ...log, code_identities: [...log.code_identities.filter((c) => c.code_identifier_type !== 'docker'), identity] };
    await rc.log.putJob(log);
    const last = log.attempts.at(-1);
    const ms = last ? Date.parse(last.end_time) - Date.parse(last.start_time) : 0;
    rc.observer.stepFinished?.({ internalName: JOB_STEP, type: 'job', status: log.status, durationMs: Number.isFinite(ms) ? ms : 0, message: log.message });
    return log.status === 'SUCCESS' ? 'SUCCESS' : 'FAIL';
  }
}

export const localContainerJob: Plugin<JobExecutor, LocalContainerJobConfig> = {
  config: localContainerJobConfig,
  create: (config) => new LocalContainerJobExecutor(config),
};
