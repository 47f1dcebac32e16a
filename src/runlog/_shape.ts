/**
 * The shape a stored RunLog must have before anything reads it: a file in the run-log folder may
 * be damaged, hand-edited or not a run log at all (`{"run_id": 5}`), and `runs show`, `retry`
 * and `runs diff` must say so in one line instead of crashing on a missing field. Loose: fields
 * this version does not know are kept.
 */
import { z } from 'zod';
import type { RunLog } from './types.js';

const Param = z.looseObject({ kind: z.string(), value: z.unknown() });
const Params = z.record(z.string(), Param);
const Attempt = z.looseObject({
  attempt_number: z.number(),
  start_time: z.string(),
  status: z.string(),
  input_parameters: Params.optional(),
  output_parameters: Params.optional(),
  user_defined_metrics: Params.optional(),
});
const CatalogItem = z.looseObject({ name: z.string(), data_hash: z.string(), stage: z.string() });
const JobLog = z.looseObject({ status: z.string(), attempts: z.array(Attempt), data_catalog: z.array(CatalogItem) });

interface StepShape {
  internal_name: string;
  branches: Record<string, { internal_name: string; steps: Record<string, StepShape> }>;
}
const Step: z.ZodType<StepShape> = z.lazy(() =>
  JobLog.extend({
    name: z.string(),
    internal_name: z.string(),
    branches: z.record(z.string(), z.looseObject({ internal_name: z.string(), status: z.string(), parameters: Params, steps: z.record(z.string(), Step) })),
  }),
);
const RunLogShape = z.looseObject({
  run_id: z.string(),
  status: z.string(),
  steps: z.record(z.string(), Step),
  parameters: Params,
  job: JobLog.optional(),
});

/** `value` as a RunLog, or the first field that is wrong (`steps.train.attempts: expected array`). */
export function checkRunLogShape(value: unknown): { log: RunLog } | { problem: string } {
  const parsed = RunLogShape.safeParse(value);
  if (parsed.success) return { log: value as RunLog };
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length ? issue.path.map(String).join('.') : 'the top level';
  // zod's messages name types ("expected string, received number"), never the values
  return { problem: `${where}: ${issue.message}` };
}
