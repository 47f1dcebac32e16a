/**
 * The pipeline YAML, as zod schemas: the single definition behind loading, error messages and
 * the JSON Schema that editors use. Field names are runnable's (snake_case), so its own YAML
 * pipelines load unchanged.
 *
 * Objects are strict, so a typo is an error rather than a silently ignored setting; `stub` is
 * the exception because runnable lets a placeholder carry any notes. Fields runnable declares
 * Optional (catalog, reducer, default, description) also accept an empty value (null). Checks that need more than
 * one field (command_type inference, duplicate returns, graph shape) live in the loader.
 */
import * as z from 'zod';
import type { CommandType, ParameterKind } from '../graph/model.js';

import { CATALOG_GET_ROOT, CATALOG_PUT_ROOT, catalogPatternProblem, IDENTIFIER_RE, isEnvControlName, parameterNameProblem, NAME_RE, STEP_TYPES, COMMAND_TYPES, PARAMETER_KINDS } from '../graph/rules.js';

// ---- hand-written shapes of validated YAML (zod cannot infer through the recursive getters) ----

export type RawReturn = string | { name: string; kind?: ParameterKind };
export interface RawCatalog {
  get?: string[];
  put?: string[];
  store_copy?: boolean;
}
interface RawTraversal {
  next: string;
  on_failure?: string;
  overrides?: Record<string, string>;
}
export interface RawTaskFields {
  command: string;
  command_type?: CommandType;
  returns?: RawReturn[];
  catalog?: RawCatalog | null;
  max_attempts?: number;
  retry_delay_seconds?: number;
  retry_backoff_factor?: number;
  secrets?: string[];
  /** pipeline tasks only (TaskStepSchema) */
  cache?: boolean;
  /** runnable's notebook option, passed through to the notebook runner */
  optional_ploomber_args?: Record<string, unknown>;
}
export interface RawTask extends RawTraversal, RawTaskFields {
  type: 'task';
}
export interface RawStub extends RawTraversal {
  type: 'stub';
  [extra: string]: unknown;
}
export interface RawTerminal {
  type: 'success' | 'fail';
}
export interface RawParallel extends RawTraversal {
  type: 'parallel';
  branches: Record<string, RawBranch>;
}
export interface RawMap extends RawTraversal {
  type: 'map';
  branch: RawBranch;
  iterate_on: string;
  iterate_as: string;
  reducer?: string | null;
}
export interface RawConditional extends RawTraversal {
  type: 'conditional';
  parameter: string;
  branches: Record<string, RawBranch>;
  default?: RawBranch | null;
}
export interface RawLoop extends RawTraversal {
  type: 'loop';
  branch: RawBranch;
  max_iterations: number;
  break_on: string;
  index_as: string;
}
export type RawStep = RawTask | RawStub | RawTerminal | RawParallel | RawMap | RawConditional | RawLoop;
export interface RawBranch {
  description?: string | null;
  start_at: string;
  steps: Record<string, RawStep>;
}
export interface RawJobTask extends RawTaskFields {
  type?: 'task';
  overrides?: Record<string, string>;
}

// ---- schemas ----

const identifier = (what: string) =>
  z
    .string()
    .regex(IDENTIFIER_RE, { message: 'not a valid name (letters, digits and _, not starting with a digit)' })
    .check((ctx) => {
      const problem = isEnvControlName(ctx.value) ? parameterNameProblem(ctx.value) : undefined;
      if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
    })
    .describe(what);

const stepName = z.string().regex(NAME_RE, { message: "must not contain '.' (names form dot paths)" });

const traversal = {
  next: z.string().describe("step to go to on success ('success' ends the run)"),
  on_failure: z.string().optional().describe("step to go to on failure; default: the implicit 'fail'"),
  overrides: z
    .record(z.string(), z.string())
    .optional()
    .describe("per-executor settings: executor type -> name of an entry in that executor's `overrides`"),
};

export const ReturnSchema = z.union([
  identifier('name of a returned parameter (kind json)'),
  z.strictObject({
    name: identifier('name of the returned parameter'),
    kind: z.enum(PARAMETER_KINDS).optional().describe('json (default), object or metric'),
  }),
]);

const catalogPattern = (root: string) =>
  z.string().check((ctx) => {
    const problem = catalogPatternProblem(ctx.value, root);
    if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
  });

export const CatalogSchema = z
  .strictObject({
    get: z.array(catalogPattern(CATALOG_GET_ROOT)).optional().describe("globs copied from the run's catalog before the step"),
    put: z.array(catalogPattern(CATALOG_PUT_ROOT)).optional().describe('globs copied into the catalog after the step succeeds'),
    store_copy: z.boolean().optional().describe('false: record hashes of `put` files without copying (default true)'),
  })
  .describe('files moved between the working directory and the catalog');

const taskFields = {
  command: z.string().min(1).describe('PATH:EXPORT (typescript), a script (shell), a .ipynb (notebook), pkg.module.function (python)'),
  command_type: z.enum(COMMAND_TYPES).optional().describe('inferred from the command when left out; shell must be explicit'),
  returns: z.array(ReturnSchema).optional().describe('names (or {name, kind}) of the values the task returns'),
  catalog: CatalogSchema.nullish(),
  max_attempts: z.int().min(1).optional().describe('attempts before the step fails (default 1)'),
  retry_delay_seconds: z.number().min(0).optional().describe('wait before a new attempt (default 0)'),
  retry_backoff_factor: z.number().min(1).optional().describe('multiplies the wait after each failed attempt (default 1)'),
  secrets: z.array(z.string().min(1)).optional().describe("secrets exposed as env vars of this step only"),
  optional_ploomber_args: z.record(z.string(), z.unknown()).optional().describe('notebook tasks: extra options for the notebook runner'),
};

/** Pipeline tasks only: a job always runs. */
const cacheField = z
  .boolean()
  .optional()
  .describe(
    'true: skip the task when its code, input parameters and get files match an earlier successful run, restoring its outputs; false: never (default: the config section step-cache)',
  );

export const TaskStepSchema = z.strictObject({ type: z.literal('task'), ...taskFields, cache: cacheField, ...traversal });

export const StubStepSchema = z
  .looseObject({
    type: z.literal('stub'),
    next: traversal.next,
    on_failure: traversal.on_failure,
    overrides: traversal.overrides,
  })
  .describe('does nothing and succeeds; other fields are accepted and ignored');

export const SuccessStepSchema = z.strictObject({ type: z.literal('success') });
export const FailStepSchema = z.strictObject({ type: z.literal('fail') });

// Getters defer the reference, which is how zod expresses recursion; the annotations are the
// hand-written shapes because inference cannot see through the cycle.
export const BranchSchema: z.ZodType<RawBranch> = z.strictObject({
  description: z.string().nullish(),
  start_at: z.string().describe('the first step'),
  get steps(): z.ZodType<Record<string, RawStep>> {
    return z.record(stepName, StepSchema).describe('the steps, by name');
  },
}).meta({ id: 'Branch', description: 'a graph of steps: the pipeline itself, or a branch of a composite step' });

const branches = () => z.record(stepName, BranchSchema);

export const ParallelStepSchema = z.strictObject({
  type: z.literal('parallel'),
  get branches() {
    return branches().describe('all branches run; the step succeeds when all do');
  },
  ...traversal,
});

export const MapStepSchema = z.strictObject({
  type: z.literal('map'),
  get branch() {
    return BranchSchema;
  },
  iterate_on: identifier('parameter holding the list to iterate on'),
  iterate_as: identifier('name of the item inside the branch'),
  reducer: z.string().nullish().describe('PATH:EXPORT of a function reducing each returned parameter across iterations'),
  ...traversal,
});

export const ConditionalStepSchema = z.strictObject({
  type: z.literal('conditional'),
  parameter: identifier('parameter whose value picks the branch'),
  get branches() {
    return branches().describe('branch to run, by parameter value');
  },
  get default() {
    return BranchSchema.nullish();
  },
  ...traversal,
});

export const LoopStepSchema = z.strictObject({
  type: z.literal('loop'),
  get branch() {
    return BranchSchema;
  },
  max_iterations: z.int().min(1).describe('the loop stops after this many iterations'),
  break_on: identifier('boolean parameter the branch returns; the loop stops when it is true'),
  index_as: identifier('name of the 0-based iteration index inside the branch'),
  ...traversal,
});

export const StepSchema: z.ZodType<RawStep> = z.discriminatedUnion('type', [
  TaskStepSchema,
  StubStepSchema,
  SuccessStepSchema,
  FailStepSchema,
  ParallelStepSchema,
  MapStepSchema,
  ConditionalStepSchema,
  LoopStepSchema,
]).meta({ id: 'Step', description: 'a step; `type` says which kind' });

/** Field names each step type accepts, for "did you mean" hints. */
export const STEP_FIELDS: Record<RawStep['type'], readonly string[]> = {
  task: Object.keys(TaskStepSchema.shape),
  stub: Object.keys(StubStepSchema.shape),
  success: Object.keys(SuccessStepSchema.shape),
  fail: Object.keys(FailStepSchema.shape),
  parallel: Object.keys(ParallelStepSchema.shape),
  map: Object.keys(MapStepSchema.shape),
  conditional: Object.keys(ConditionalStepSchema.shape),
  loop: Object.keys(LoopStepSchema.shape),
};

/** The file: other top-level keys are allowed, as runnable's examples keep anchored branches there. */
export const PipelineFileSchema = z.looseObject({
  dag: BranchSchema,
});

export const JobTaskSchema = z.strictObject({
  type: z.literal('task').optional(),
  ...taskFields,
  overrides: traversal.overrides,
});

export const JobFileSchema = z.looseObject({
  job: JobTaskSchema,
});
