/**
 * What the container of a `local-container` job runs: `node _container_job.js RUN_ID JOB [CONFIG]`.
 * The job's run exists (the `runnable execute-job` process created it); this runs its task in
 * this process, as the `local` job executor would (src/executors/jobs/_run.ts: attempts, catalog
 * `put`, returns into the run's parameters), recording it in the run log's `job` section.
 * Exit 0: the task succeeded; 1: it failed (the run log says why); 2: bad input.
 * SIGTERM/SIGINT (a stopped container, Ctrl-C) stop the task, which is then recorded FAIL.
 */
import { RunnableError } from '../../errors.js';
import { loadServices } from '../../runner/prepare.js';
import { jobPipeline, loadJobSource } from '../../runner/job.js';
import { RunLogAccess } from '../../runlog/access.js';
import { codeIdentity } from '../../util/git.js';
import { validateRunId } from '../../util/run-id.js';
import type { RunContext } from '../context.js';
import { runJobTask } from './_run.js';

async function run(signal: AbortSignal): Promise<number> {
  const [runId, jobFile, configFile] = process.argv.slice(2);
  if (!runId || !jobFile) throw new RunnableError('E_USAGE', 'usage: node _container_job.js RUN_ID JOB [CONFIG]');
  validateRunId(runId);
  const services = await loadServices({ configFile: configFile || undefined, cwd: process.cwd() });
  const { store, cwd } = services;
  const log = new RunLogAccess(store, runId, false);
  const header = await log.header();
  if (!header) throw new RunnableError('E_RUN_ID', `unknown run id '${runId}' in ${store.location(runId)}`);
  if (header.status !== 'PROCESSING') throw new RunnableError('E_RUN_ID', `run '${runId}' has finished (${header.status})`);
  const job = await loadJobSource(jobFile, cwd);
  const { TerminalReporter } = await import('../../cli/_reporter.js');
  const reporter = new TerminalReporter({ json: false });
  const rc: RunContext = {
    runId,
    pipeline: jobPipeline(job),
    cwd,
    log,
    catalog: services.catalog,
    secrets: services.secrets,
    observer: { output: (name, stream, chunk) => reporter.output(name, stream, chunk) },
    signal,
    codeIdentity: () => codeIdentity(cwd),
    retrying: false,
    configFile: services.config.file,
  };
  const status = await runJobTask(rc, job.task);
  await log.flush();
  return status === 'SUCCESS' ? 0 : 1;
}

const { withStepSignals } = await import('../../cli/execute-single-node.js');
const code = await withStepSignals(run);
// exit even if the task left handles open, once stdout has drained (as bin/runnable.js does)
process.stdout.write('', () => process.exit(code));
