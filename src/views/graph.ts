/** `runnable graph`: the pipeline drawn in one of the formats, optionally coloured by a run. */
import type { Pipeline } from '../graph/model.js';
import type { RunLog } from '../runlog/types.js';
import { drawPipeline } from './graph-model.js';
import { runStatuses } from './run-statuses.js';
import { toSvg } from './graph-svg.js';
import { toDot, toMermaid } from './graph-text.js';
import { escapeXml } from './_html.js';

export const GRAPH_FORMATS = ['mermaid', 'dot', 'svg', 'html'] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

export function renderGraph(pipeline: Pipeline, format: GraphFormat, run?: RunLog): string {
  const drawn = drawPipeline(pipeline.graph, run ? runStatuses(pipeline.graph, run) : undefined);
  switch (format) {
    case 'mermaid':
      return toMermaid(drawn);
    case 'dot':
      return toDot(drawn);
    case 'svg':
      return `${toSvg(drawn)}\n`;
    case 'html': {
      const title = `${pipeline.source.path}${run ? ` — run ${run.run_id} ${run.status}` : ''}`;
      return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeXml(title)}</title><style>body{font-family:Helvetica,Arial,sans-serif;margin:16px;color:#0f172a}h1{font-size:16px}</style></head><body><h1>${escapeXml(title)}</h1>${toSvg(drawn)}</body></html>\n`;
    }
  }
}
