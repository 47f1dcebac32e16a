/** `runnable validate PIPELINE` and `runnable schema`. */
import { loadPipelineFile } from '../yaml/load-pipeline.js';
import { pipelineJsonSchema } from '../yaml/json-schema.js';
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

export function schemaCommand(): number {
  process.stdout.write(`${JSON.stringify(pipelineJsonSchema(), null, 2)}\n`);
  return EXIT_OK;
}
