/**
 * `runnable validate PIPELINE [-c CONFIG] [-p PARAMS]` and `runnable schema`.
 *
 * validate finds what a run would fail on, without running a step: the pipeline (YAML or an SDK
 * module, loaded as `execute` loads it), the parameters, then every step's checks of
 * runner/preflight.ts (commands, code, parameters), each problem on its own line; with `-c`
 * also the config, its executor's view of the pipeline, the secrets and what a handing-over
 * executor (argo) would write. Exit 2 when there is a problem, else 0 and one line saying so;
 * warnings (what it cannot be sure of) do not change the exit status.
 */
import { jobJsonSchema, pipelineJsonSchema } from '../yaml/json-schema.js';
import { RunnableError } from '../errors.js';
import type { Pipeline } from '../graph/model.js';
import { walkNodes } from '../graph/walk.js';
import { loadInitialParameters } from '../params/load.js';
import type { Parameters } from '../runlog/types.js';
import { loadPipelineSource } from '../runner/load.js';
import { pipelineProblems } from '../runner/preflight.js';
import { checkAccess, loadServices, type Services } from '../runner/prepare.js';
import { generateRunId } from '../util/run-id.js';
import { EXIT_BAD_INPUT, EXIT_OK, reportError, reportWarning } from './_errors.js';
import { cliLevel } from './_level.js';
import { shows } from '../views/log-level.js';
import { printable } from '../util/printable.js';

export interface ValidateFlags {
  config?: string;
  parameters?: string;
  parametersFile?: string;
}

export async function validateCommand(pipeline: string, flags: ValidateFlags = {}): Promise<number> {
  const cwd = process.cwd();
  const env = process.env;
  const errors: RunnableError[] = [];
  const warnings: RunnableError[] = [];
  let handOff: string | undefined;
  let loaded: Pipeline;
  try {
    // what cannot be looked past: a config or pipeline that does not load is the one problem
    const services = flags.config ? await loadServices({ configFile: flags.config, cwd, env }) : undefined;
    if (services) await checkAccess(services);
    const p = (loaded = await loadPipelineSource(pipeline, cwd));
    const parametersFile = flags.parameters ?? flags.parametersFile ?? env.RUNNABLE_PARAMETERS_FILE;
    let parameters: Parameters | undefined;
    try {
      parameters = await loadInitialParameters({ file: parametersFile, cwd, env });
    } catch (err) {
      if (!(err instanceof RunnableError)) throw err;
      errors.push(err); // reported, and the steps are still checked (without following parameters)
    }
    const executor = services?.executor;
    const found = await pipelineProblems(executor?.pipelineToCheck?.(p, services!.store) ?? p, cwd, {
      secrets: services && !executor!.handOff ? services.secrets : undefined,
      // without -c the run would be local: steps in this process
      deep: { parameters, inProcess: executor?.exclusive ?? true, executor: executor?.type },
    });
    errors.push(...found.errors);
    warnings.push(...found.warnings);
    if (executor?.preflight && !errors.length) errors.push(...(await executor.preflight(p, services!.config.file)));
    if (services && !errors.length) handOff = checkHandOff(services, p, parameters!, parametersFile);
  } catch (err) {
    for (const w of warnings) reportWarning(w);
    return reportError(err);
  }
  for (const w of warnings) reportWarning(w);
  if (errors.length) {
    for (const e of errors) reportError(e);
    return EXIT_BAD_INPUT;
  }
  const steps = stepCount(loaded);
  const notes = [flags.config ? ` with ${flags.config}` : '', warnings.length ? `, ${warnings.length} warning${warnings.length > 1 ? 's' : ''}` : ''].join('');
  if (!shows(cliLevel(), 'info')) return EXIT_OK; // --quiet: the exit status says it
  process.stderr.write(`${printable(pipeline)}: valid (${steps} steps)${notes}\n`);
  if (handOff) process.stderr.write(`${printable(handOff)}\n`);
  return EXIT_OK;
}

/** What a handing-over executor (argo) would write, checked strictly; its line for the user. */
function checkHandOff(services: Services, pipeline: Pipeline, parameters: Parameters, parametersFile?: string): string | undefined {
  const { executor, config, store, catalog, cwd } = services;
  return executor.checkHandOff?.({ pipeline, parameters, runId: generateRunId(), tag: '', cwd, config, store, catalog, parametersFile });
}

function stepCount(p: Pipeline): number {
  let steps = 0;
  for (const node of walkNodes(p.graph)) if (node.type !== 'success' && node.type !== 'fail') steps++;
  return steps;
}

export async function schemaCommand(which: { job?: boolean; config?: boolean } = {}): Promise<number> {
  if (which.job && which.config) return reportError(new RunnableError('E_USAGE', 'schema: give --job or --config, not both'));
  // the config schema needs every plugin family: loaded only when asked for
  const schema = which.config ? (await import('../runner/config-schema.js')).configJsonSchema() : which.job ? jobJsonSchema() : pipelineJsonSchema();
  process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
  return EXIT_OK;
}
