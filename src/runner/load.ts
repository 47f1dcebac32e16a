/** A pipeline from its file: YAML, or a TS/JS module whose default export is a pipeline. */
import type { Pipeline } from '../graph/model.js';
import { loadPipelineFile } from '../yaml/load-pipeline.js';

const MODULE = /\.(m?ts|m?js)$/;

export async function loadPipelineSource(file: string, cwd: string): Promise<Pipeline> {
  if (MODULE.test(file)) {
    const { loadPipelineModule } = await import('./load-module.js');
    return loadPipelineModule(file, cwd);
  }
  return loadPipelineFile(file, cwd);
}
