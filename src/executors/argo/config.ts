/**
 * The `argo` executor's configuration: runnable's Argo configuration as written (its
 * examples/configs/argo-config.yaml and argo-cron-config.yaml), keys in camelCase or snake_case
 * (runnable's pydantic models take both). Unknown keys are errors naming the key. The parts that
 * are Kubernetes or Argo objects (resources, tolerations, retryStrategy, the workflow's `spec`)
 * are checked against the official Argo schema (./schema.ts), as `argo lint` would.
 */
import * as z from 'zod';
import { argoProblem, argoProperties } from './schema.js';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const toCamel = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * A strict object whose keys may be written in snake_case too: a key is renamed to its camelCase
 * spelling only when that is a key of `shape`, so an unknown key is reported as written.
 * `aliases` maps other accepted spellings (runnable's `back_off`) to a key of `shape`.
 */
function camelObject<S extends z.ZodRawShape>(shape: S, aliases: Record<string, keyof S & string> = {}) {
  const keys = new Set(Object.keys(shape));
  return z.preprocess(
    (v) => {
      if (!isRecord(v)) return v;
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        const c = aliases[k] ?? toCamel(k);
        out[keys.has(c) ? c : k] = x;
      }
      return out;
    },
    z.strictObject(shape),
  );
}

/** A transform that checks a value against an Argo/Kubernetes schema definition (after `prepare`). */
function checkedAs<T>(definition: string, prepare: (v: unknown) => unknown = (v) => v) {
  return (v: unknown, ctx: z.RefinementCtx): T => {
    const value = prepare(v);
    const problem = argoProblem(definition, value);
    if (problem) ctx.addIssue({ code: 'custom', message: `not a valid ${definition.split('.').at(-1)}: ${problem}` });
    return value as T;
  };
}

/** Any value, checked against an Argo/Kubernetes schema definition. */
const argoValue = <T>(definition: string, prepare?: (v: unknown) => unknown) => z.unknown().transform(checkedAs<T>(definition, prepare));

const stringMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));

/** `limits.gpu` is runnable's spelling of `nvidia.com/gpu`; numbers are quantities too. */
function resourcesOf(v: unknown): unknown {
  if (!isRecord(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if ((k === 'limits' || k === 'requests') && isRecord(x)) {
      out[k] = Object.fromEntries(Object.entries(x).filter(([, q]) => q !== null && q !== undefined).map(([q, n]) => [q === 'gpu' ? 'nvidia.com/gpu' : q, typeof n === 'number' ? String(n) : n]));
    } else out[k] = x;
  }
  return out;
}

const backoff = camelObject({
  duration: z.union([z.string(), z.number()]).transform(String).optional(),
  factor: z.union([z.string(), z.number()]).optional(),
  maxDuration: z.union([z.string(), z.number()]).transform(String).optional(),
});

/** runnable's RetryStrategy (`back_off`, `limit`, `retry_policy`) as Argo's. */
const retryStrategy = camelObject(
  {
    limit: z.union([z.number().int().min(0), z.string()]).optional(),
    retryPolicy: z.enum(['Always', 'OnFailure', 'OnError', 'OnTransientError']).optional(),
    backoff: backoff.optional(),
    expression: z.string().optional(),
  },
  { back_off: 'backoff', backOff: 'backoff' },
).transform(checkedAs<Record<string, unknown>>('RetryStrategy', (v) => JSON.parse(JSON.stringify(v))));

/** An environment variable: a value, or runnable's `{name, secretName, secretKey}` (from a Kubernetes secret). */
const envVar = camelObject({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'an environment variable name'),
  value: z.union([z.string(), z.number(), z.boolean()]).transform(String).optional(),
  secretName: z.string().min(1).optional(),
  secretKey: z.string().min(1).optional(),
}).refine((e) => (e.value !== undefined) !== (e.secretName !== undefined && e.secretKey !== undefined), {
  message: "an env entry has a 'value', or both 'secretName' and 'secretKey'",
});
export type EnvEntry = z.infer<typeof envVar>;

/** What `defaults` and each of `overrides` set for the pods (runnable's CommonDefaults). */
const podSettings = {
  image: z.string().min(1).optional(),
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
  resources: argoValue<Record<string, unknown>>('ResourceRequirements', resourcesOf).optional(),
  env: z.array(envVar).optional(),
  nodeSelector: z.record(z.string(), z.string()).optional(),
  tolerations: z.array(argoValue<Record<string, unknown>>('Toleration')).optional(),
  retryStrategy: retryStrategy.optional(),
  activeDeadlineSeconds: z.number().int().positive().optional(),
  /** pods of a composite running at once (a DAG template's parallelism) */
  parallelism: z.number().int().positive().optional(),
  timeout: z.string().optional(),
  /** accepted as runnable does; DAGs here never fail fast, so that on_failure and parallel branches run */
  failFast: z.boolean().optional(),
};
const defaults = camelObject({ ...podSettings, image: z.string().min(1, "'defaults.image' is required") });
const override = camelObject(podSettings);
export type PodSettings = z.infer<typeof override>;

/** WorkflowSpec fields this executor sets itself; the others of argoWorkflow.spec are passed through. */
const OWNED_SPEC_FIELDS = ['entrypoint', 'templates', 'arguments', 'volumes', 'workflowTemplateRef'];
const SPEC = 'io.argoproj.workflow.v1alpha1.WorkflowSpec';

/** `argoWorkflow.spec`: any WorkflowSpec field but those above, each checked against its schema. */
const workflowSpec = z.record(z.string(), z.unknown()).transform((spec, ctx) => {
  const out: Record<string, unknown> = {};
  for (const [written, value] of Object.entries(spec)) {
    const key = toCamel(written) === 'podGc' ? 'podGC' : toCamel(written);
    if (OWNED_SPEC_FIELDS.includes(key)) {
      ctx.addIssue({ code: 'custom', path: [written], message: `'${written}' is set by runnable (pipeline-executor argo writes it)` });
      continue;
    }
    if (!argoProperties(SPEC).includes(key)) {
      ctx.addIssue({ code: 'custom', path: [written], message: `unknown field '${written}' (not a field of an Argo WorkflowSpec)` });
      continue;
    }
    const problem = argoProblem(`${SPEC}/properties/${key}`, value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', path: [written], message: problem.replace(/^\(top\): /, '') });
    out[key] = value;
  }
  return out;
});

const metadata = camelObject({
  generateName: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

const customVolume = camelObject({
  mountPath: z.string().regex(/^\//, 'an absolute path'),
  persistentVolumeClaim: camelObject({ claimName: z.string().min(1), readOnly: z.boolean().default(false) }),
});

export const argoConfig = camelObject({
  /** where the manifest is written */
  outputFile: z.string().min(1).default('argo-pipeline.yaml'),
  defaults,
  argoWorkflow: camelObject({ metadata: metadata.default({}), spec: workflowSpec.default({}) }).default({ metadata: {}, spec: {} }),
  /** the PersistentVolumeClaim the file-system run-log stores and catalog live on */
  pvcForRunnable: z.string().min(1).optional(),
  customVolumes: z.array(customVolume).default([]),
  /** scalar initial parameters become workflow arguments (`argo submit -p name=value`) */
  exposeParametersAsInputs: z.boolean().default(true),
  /** the Kubernetes secret a task's `secrets` are read from (`secretKeyRef`, key = the secret's name) */
  secretFromK8s: z.string().min(1).optional(),
  /** accepted as runnable does (its memoization cache); steps here are skipped on resubmission from the run log instead */
  configmapCacheName: z.string().optional(),
  /** accepted as runnable does */
  logLevel: z.enum(['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL']).optional(),
  /** a CronWorkflow instead of a Workflow */
  cronSchedule: camelObject({ schedules: z.array(z.string().min(1)).min(1), timezone: z.string().optional() }).optional(),
  /** per-step pod settings, picked by a step's `overrides: {argo: NAME}` */
  overrides: z.record(z.string(), override).default({}),
});
export type ArgoConfig = z.infer<typeof argoConfig>;
