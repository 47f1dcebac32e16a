/**
 * `runnable open-run RUN_ID PIPELINE [-c] [-p] [--tag]`: the first step of a run driven by an
 * engine with no resident driver (an Argo workflow's first pod). It creates the run as `execute`
 * does (header, initial parameters from `-p` and `RUNNABLE_PRM_*`), or, when the run id exists
 * and the run failed or was interrupted (a workflow resubmitted with the same `run_id`), continues
 * it as `retry` does: the run is PROCESSING again, one more retry in its header, and every step
 * process then skips what succeeded. A run that succeeded, or was started from another
 * pipeline, is refused (exit 2), nothing written.
 */
import { RunnableError } from '../errors.js';
import { createRun } from './execute.js';
import { loadServices, prepareRun } from './prepare.js';
import { prepareRetry, reopenRun } from './retry.js';
import { validateRunId } from '../util/run-id.js';

export interface OpenRunInputs {
  runId: string;
  pipeline: string;
  configFile?: string;
  parametersFile?: string;
  tag?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export async function openRun(inputs: OpenRunInputs): Promise<{ runId: string; opened: 'created' | 'continued' }> {
  const env = inputs.env ?? process.env;
  const configFile = inputs.configFile ?? env.RUNNABLE_CONFIGURATION_FILE;
  const { runId } = inputs;
  validateRunId(runId);
  const { store } = await loadServices({ configFile, cwd: inputs.cwd, env });
  if (await store.exists(runId)) {
    const retry = await prepareRetry({ runId, configFile, cwd: inputs.cwd, env });
    const header = await retry.log.header();
    if (header?.run_config.pipeline !== inputs.pipeline) {
      await retry.lease?.release();
      throw new RunnableError('E_RUN_ID', `run '${runId}' was started from ${String(header?.run_config.pipeline)}, not ${inputs.pipeline} (${retry.log.store.location(runId)})`);
    }
    try {
      await reopenRun(retry.log, false);
      await retry.log.flush();
    } finally {
      await retry.lease?.release();
    }
    return { runId, opened: 'continued' };
  }
  const run = await prepareRun({ pipeline: inputs.pipeline, configFile, parametersFile: inputs.parametersFile, runId, tag: inputs.tag, cwd: inputs.cwd, env });
  const { log, lease } = await createRun(run, false);
  try {
    await log.flush();
  } finally {
    // the run has no driver: each step process takes the step's lease (runner/lease.ts) while it runs
    await lease?.release();
  }
  return { runId, opened: 'created' };
}
