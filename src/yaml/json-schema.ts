/**
 * JSON Schemas of the YAML files (`runnable schema`), for editors:
 * `# yaml-language-server: $schema=./runnable.schema.json`. Generated from the same zod schemas
 * the loader uses, so they cannot drift. Cross-field rules (inference, graph shape) are the
 * loader's alone.
 */
import * as z from 'zod';
import { JobFileSchema, PipelineFileSchema } from './schema.js';

/** Pipeline files (top-level `dag:`). The recursive pieces are `$defs/Branch` and `$defs/Step`. */
export function pipelineJsonSchema(): Record<string, unknown> {
  return {
    ...toJson(PipelineFileSchema),
    title: 'runnable pipeline',
    description: "A runnable pipeline: a top-level 'dag' with start_at and steps.",
  };
}

/** Job files (top-level `job:`, one task). */
export function jobJsonSchema(): Record<string, unknown> {
  return { ...toJson(JobFileSchema), title: 'runnable job', description: "A runnable job: a top-level 'job' task." };
}

function toJson(schema: z.ZodType): Record<string, unknown> {
  // io 'input': fields with defaults are optional for the person writing the file.
  return z.toJSONSchema(schema, { io: 'input', cycles: 'ref', unrepresentable: 'any' }) as Record<string, unknown>;
}
