/** The values of the secrets a pipeline names, to mask them (util/mask.ts) where people look. */
import type { Pipeline } from '../graph/model.js';
import { walkNodes } from '../graph/walk.js';
import type { SecretsStore } from './types.js';

/** Values of every secret the pipeline's tasks name that the store has (absent ones are skipped). */
export async function secretValuesOf(pipeline: Pipeline, store: SecretsStore): Promise<string[]> {
  const names = new Set<string>();
  for (const node of walkNodes(pipeline.graph)) if (node.type === 'task') for (const s of node.secrets) names.add(s);
  const values: string[] = [];
  for (const name of names) {
    const v = await store.get(name).catch(() => '');
    if (v) values.push(v);
  }
  return values;
}
