/** `runnable validate PIPELINE` and `runnable schema`. */
import { loadPipelineFile } from '../yaml/load-pipeline.js';
import { jobJsonSchema, pipelineJsonSchema } from '../yaml/json-schema.js';
import { RunnableError } from '../errors.js';
import { walkNodes } from '../graph/walk.js';
import { checkPipeline, prepareRun } from '../runner/prepare.js';
import { EXIT_OK, reportError } from './_errors.js';

export async function validateCommand(pipeline: string, flags: { config?: string } = {}): Promise<number> {
  try {
    const p = await loadPipelineFile(pipeline, process.cwd());
    // what `execute` refuses before running (unsupported command types, missing modules) is invalid here too
    await checkPipeline(p, process.cwd());
    // with -c: the config, the pipeline under it, and what a handing-over executor (argo) would write
    const run = flags.config ? await prepareRun({ pipeline: p, configFile: flags.config }) : undefined;
    const handOff = run?.executor.checkHandOff?.(run);
    let steps = 0;
    for (const node of walkNodes(p.graph)) if (node.type !== 'success' && node.type !== 'fail') steps++;
    process.stderr.write(`${pipeline}: valid (${steps} steps)${flags.config ? ` with ${flags.config}` : ''}\n`);
    if (handOff) process.stderr.write(`${handOff}\n`);
    return EXIT_OK;
  } catch (err) {
    return reportError(err);
  }
}

export async function schemaCommand(which: { job?: boolean; config?: boolean } = {}): Promise<number> {
  if (which.job && which.config) return reportError(new RunnableError('E_USAGE', 'schema: give --job or --config, not both'));
  // the config schema needs every plugin family: loaded only when asked for
  const schema = which.config ? (await import('../runner/config-schema.js')).configJsonSchema() : which.job ? jobJsonSchema() : pipelineJsonSchema();
  process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
  return EXIT_OK;
}
