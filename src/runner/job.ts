/**
 * Runs a job (SPEC §1 `execute-job`): one task, executed by the configured `job-executor`, in a
 * run whose log has no steps but a `job` section (SPEC §5) and whose `parameters` end with what
 * the task returned. As for pipelines, everything wrong with the input is found before the run
 * log exists (exit 2); a failed task is a FAIL run (exit 1).
 */
import { sectionsForRunLog } from '../config/load-config.js';
import { RunnableError } from '../errors.js';
import { jobExecutors, type JobExecutor } from '../executors/jobs/index.js';
import type { PipelineExecutor } from '../executors/types.js';
import { dagHash } from '../graph/hash.js';
import type { Graph, Job, Pipeline } from '../graph/model.js';
import { loadInitialParameters } from '../params/load.js';
import { RunLogAccess } from '../runlog/access.js';
import type { Parameters, RunHeader } from '../runlog/types.js';
import { loadJobFile } from '../yaml/load-pipeline.js';
import { readYamlFile } from '../yaml/yaml-file.js';
import { generateRunId, validateRunId } from '../util/run-id.js';
import { drive, runnerIdentity, type DriveOptions, type RunResult } from './execute.js';
import { checkAccess, checkPipeline, loadServices, type RunInputs, type Services } from './prepare.js';

const MODULE = /\.(m?ts|m?js)$/;

export interface JobInputs extends Omit<RunInputs, 'pipeline'> {
  /** a job file (YAML with a top-level `job:`, or a module default-exporting an SDK job), or a job */
  job: string | Job;
}

export interface PreparedJob extends Services {
  job: Job;
  jobExecutor: JobExecutor;
  parameters: Parameters;
  runId: string;
  tag: string;
}

export type ExecuteJobOptions = JobInputs & DriveOptions;

export async function executeJob(opts: ExecuteJobOptions): Promise<RunResult> {
  return executePreparedJob(await prepareJob(opts), opts);
}

/** Config, job, checks, parameters and run id: a RunnableError here means exit 2, nothing written. */
export async function prepareJob(inputs: JobInputs): Promise<PreparedJob> {
  const env = inputs.env ?? process.env;
  const services = await loadServices({ configFile: inputs.configFile ?? env.RUNNABLE_CONFIGURATION_FILE, cwd: inputs.cwd, env });
  await checkAccess(services);
  const { cwd } = services;
  const section = services.config.sections['job-executor'];
  const jobExecutor = jobExecutors.create(section.type, section.config, { cwd, configFile: services.config.file });
  const job = typeof inputs.job === 'string' ? await loadJobSource(inputs.job, cwd) : inputs.job;
  checkJob(job);
  jobExecutor.check?.(job, services.store);
  await checkPipeline(jobPipeline(job), cwd, services.secrets);
  const parameters = await loadInitialParameters({ file: inputs.parametersFile ?? env.RUNNABLE_PARAMETERS_FILE, cwd, env });

  const runId = inputs.runId ?? env.RUNNABLE_RUN_ID ?? generateRunId();
  validateRunId(runId);
  if (await services.store.exists(runId)) {
    throw new RunnableError('E_RUN_ID', `run id '${runId}' is already used in ${services.store.location(runId)}`);
  }
  return { ...services, job, jobExecutor, parameters, runId, tag: inputs.tag ?? env.RUNNABLE_RUN_TAG ?? '' };
}

export async function executePreparedJob(run: PreparedJob, opts: DriveOptions = {}): Promise<RunResult> {
  const { runId, store, jobExecutor, job } = run;
  const pipeline = jobPipeline(job);
  const header: RunHeader = {
    run_id: runId,
    dag_hash: dagHash(pipeline.graph),
    tag: run.tag,
    status: 'PROCESSING',
    run_config: {
      job: job.source.path,
      configuration_file: run.config.file ?? null,
      ...sectionsForRunLog(run.config, ['pipeline-executor']),
      runner: runnerIdentity(),
    },
  };
  await store.create(header);
  const log = new RunLogAccess(store, runId, jobExecutor.exclusive);
  await log.putHeader(header);
  await log.putRootParams(run.parameters);
  // the traversal of a job is its executor: `drive` builds the run context and settles the status
  const executor: PipelineExecutor = { type: jobExecutor.type, exclusive: jobExecutor.exclusive, execute: (rc) => jobExecutor.execute(rc, job) };
  return drive({ ...run, executor }, pipeline, log, opts, false);
}

/** A job from its file: YAML (`job:`), or a TS/JS module whose default export is an SDK job. */
export async function loadJobSource(file: string, cwd: string): Promise<Job> {
  if (MODULE.test(file)) {
    const { loadJobModule } = await import('./load-module.js');
    return loadJobModule(file, cwd);
  }
  const job = await loadJobFile(file, cwd);
  try {
    checkJob(job);
  } catch (e) {
    if (!(e instanceof RunnableError)) throw e;
    const y = await readYamlFile(file, cwd, 'job');
    throw new RunnableError(e.code, e.message, { ...e.where, field: `job.${e.where.field}`, line: y.lineOf(['job', 'catalog', 'get']) });
  }
  return job;
}

/** What a job cannot do that a task step can: fetch from the catalog (a job starts a run). */
export function checkJob(job: Job): void {
  if (job.task.catalog?.get.length) {
    throw new RunnableError(
      'E_SCHEMA',
      `a job's catalog takes 'put' only: a job starts its own run, so there is nothing to get (got get: ${job.task.catalog.get.join(', ')})`,
      { file: job.source.path, step: 'job', field: 'catalog.get' },
    );
  }
}

/** The job as a one-step pipeline: what the run context, the checks and `dag_hash` take. */
export function jobPipeline(job: Job): Pipeline {
  const graph: Graph = { internalName: '', startAt: job.task.internalName, nodes: { [job.task.internalName]: job.task } };
  return { graph, source: job.source };
}
