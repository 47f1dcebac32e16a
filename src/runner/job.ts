/**
 * Runs a job (SPEC §1 `execute-job`): one task, executed by the configured `job-executor`, in a
 * run whose log has no steps but a `job` section (SPEC §5) and whose `parameters` end with what
 * the task returned. As for pipelines, everything wrong with the input is found before the run
 * log exists (exit 2); a failed task is a FAIL run (exit 1).
 */
import { sectionsForRunLog } from '../config/load-config.js';
import { RunnableError } from '../errors.js';
import { jobExecutors, type JobExecutor } from '../executors/jobs/index.js';
import { localJob } from '../executors/jobs/local.js';
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
import { checkPipeline, loadServices, type RunInputs, type Services } from './prepare.js';

const MODULE = /\.(m?ts|m?js)$/;

export interface JobInputs extends Omit<RunInputs, 'pipeline'> {
  /** a job file (YAML with a top-level `job:`, or a module default-exporting an SDK job), or a job */
  job: string | Job;
  /** run the task in this process whatever the config's job-executor says: what a scheduled job's pod does (k8s-job `schedule`) */
  runHere?: boolean;
  /** `--dry-run`: the job will only be shown, so what is needed to submit it (credentials) is not checked */
  dryRun?: boolean;
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
  const prepared = await prepareJob(opts);
  const { jobExecutor } = prepared;
  // what starts no run has no RunResult: `runnable execute-job` prints it (withoutRun)
  if (jobExecutor.schedule || jobExecutor.mock) {
    const what = jobExecutor.schedule ? 'schedules the job (a CronJob) and starts no run' : "has 'mock: true': it only prints what it would submit";
    throw new RunnableError('E_CONFIG', `the ${jobExecutor.type} job executor ${what}: use \`runnable execute-job\` (or --dry-run) for that`, { field: 'job-executor.config' });
  }
  return executePreparedJob(prepared, opts);
}

/** Config, job, checks, parameters and run id: a RunnableError here means exit 2, nothing written. */
export async function prepareJob(inputs: JobInputs): Promise<PreparedJob> {
  const env = inputs.env ?? process.env;
  const services = await loadServices({ configFile: inputs.configFile ?? env.RUNNABLE_CONFIGURATION_FILE, cwd: inputs.cwd, env });
  const { cwd } = services;
  const section = services.config.sections['job-executor'];
  const jobExecutor = inputs.runHere ? localJob.create({}, { cwd }) : jobExecutors.create(section.type, section.config, { cwd, configFile: services.config.file });
  const job = typeof inputs.job === 'string' ? await loadJobSource(inputs.job, cwd) : inputs.job;
  checkJob(job);
  await jobExecutor.check?.(job, services.store, services.catalog, { dryRun: !!inputs.dryRun });
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
  return drive({ ...run, executor: jobAsExecutor(jobExecutor, job) }, pipeline, log, opts, false);
}

/** The traversal of a job is its executor: `drive` builds the run context and settles the status. */
function jobAsExecutor(jobExecutor: JobExecutor, job: Job): PipelineExecutor {
  return { type: jobExecutor.type, exclusive: jobExecutor.exclusive, execute: (rc) => jobExecutor.execute(rc, job) };
}

/**
 * `retry` of a job run (its `run_config.job`): the same job (same dag_hash), run again by the
 * config's job executor, its attempts numbered on from the last. Checked as `prepareJob` does;
 * returns the services whose executor runs the job, for `resumeRun`.
 */
export async function prepareJobRetry(services: Services, runId: string, file: string, hash: string): Promise<{ services: Services; pipeline: Pipeline }> {
  const section = services.config.sections['job-executor'];
  const jobExecutor = jobExecutors.create(section.type, section.config, { cwd: services.cwd, configFile: services.config.file });
  const job = await loadJobSource(file, services.cwd);
  const pipeline = jobPipeline(job);
  if (dagHash(pipeline.graph) !== hash) throw new RunnableError('E_GRAPH', `the job changed since run '${runId}' (its dag_hash differs); retry needs the same job`, { file });
  if (jobExecutor.schedule || jobExecutor.mock) throw new RunnableError('E_CONFIG', `the ${jobExecutor.type} job executor starts no run here (schedule or mock): retry needs one that runs the job`, { field: 'job-executor.config' });
  await jobExecutor.check?.(job, services.store, services.catalog, { dryRun: false });
  await checkPipeline(pipeline, services.cwd, services.secrets);
  return { services: { ...services, executor: jobAsExecutor(jobExecutor, job) }, pipeline };
}

/**
 * What `execute-job` does instead of starting a run when the job executor runs nothing here:
 * with `dryRun` (or the config's `mock`) the executor's description of what it would submit
 * (stdout); for a scheduled job, what the executor scheduled (stderr). Undefined: run the job.
 * Bad input (an executor with nothing to show) is a RunnableError, exit 2.
 */
export async function withoutRun(run: PreparedJob, dryRun: boolean): Promise<{ stdout?: string; stderr?: string } | undefined> {
  const { jobExecutor, job } = run;
  const place = { runId: run.runId, store: run.store, catalog: run.catalog };
  if (dryRun || jobExecutor.mock) {
    if (!jobExecutor.dryRun) throw new RunnableError('E_USAGE', `--dry-run: the '${jobExecutor.type}' job executor submits nothing it could show; it runs the job`);
    return { stdout: await jobExecutor.dryRun(job, place) };
  }
  if (jobExecutor.schedule) return { stderr: await jobExecutor.schedule(job, place) };
  return undefined;
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
