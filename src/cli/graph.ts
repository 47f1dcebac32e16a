/** `runnable graph PIPELINE [--format mermaid|dot|svg|html] [-o FILE] [--run RUN_ID]`. */
import { writeFileSync } from 'node:fs';
import { RunnableError } from '../errors.js';
import { loadPipelineSource } from '../runner/load.js';
import { loadServices } from '../runner/prepare.js';
import { readRunLog } from '../runlog/assemble.js';
import { GRAPH_FORMATS, renderGraph, type GraphFormat } from '../views/graph.js';
import { EXIT_OK, reportError } from './_errors.js';
import { say } from './_level.js';

export async function graphCommand(pipelineFile: string, flags: { format?: string; output?: string; run?: string; config?: string }): Promise<number> {
  try {
    const format = (flags.format ?? (flags.output?.match(/\.(svg|html|dot|mmd)$/)?.[1]?.replace('mmd', 'mermaid') ?? 'mermaid')) as GraphFormat;
    if (!GRAPH_FORMATS.includes(format)) throw new RunnableError('E_USAGE', `--format must be one of ${GRAPH_FORMATS.join(', ')}, got '${format}'`);
    const pipeline = await loadPipelineSource(pipelineFile, process.cwd());
    let run;
    if (flags.run) {
      const { store } = await loadServices({ configFile: flags.config ?? process.env.RUNNABLE_CONFIGURATION_FILE });
      run = await readRunLog(store, flags.run);
    }
    const text = renderGraph(pipeline, format, run);
    if (flags.output) {
      writeFileSync(flags.output, text);
      say(`wrote ${flags.output}`);
    } else process.stdout.write(text);
    return EXIT_OK;
  } catch (err) {
    return reportError(err);
  }
}
