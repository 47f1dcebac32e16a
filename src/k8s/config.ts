/**
 * The `k8s-job` job executor's configuration (SPEC §6), in either of the two spellings users
 * bring: SPEC's flat keys (`image`, `namespace`, `resources`, `env`, `pvc`, ...) and runnable's
 * nested `jobSpec` (its examples/11-jobs/k8s-job.yaml, mini-k8s-job.yaml,
 * k8s-scheduled-job.yaml, accepted as written). Keys may be snake_case or camelCase, as
 * runnable's pydantic models take them. Both become one `K8sJobSettings`; unknown keys are
 * errors naming the key (exit 2). Kubernetes objects given whole (volumes, tolerations, env
 * entries with `valueFrom`) are passed on as Kubernetes spells them and checked with the rest of
 * the manifest against the official schemas (manifest.ts).
 */
import * as z from 'zod';

type Shape = Record<string, z.ZodType>;

/** `foo_bar` → `fooBar`: the camelCase spelling of a key, and Kubernetes objects written with runnable's snake_case (`host_path`) */
const camel = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [camel(k), camelKeys(v)]));
}
/** A Kubernetes object passed on as given (checked with the manifest), snake_case keys accepted. */
const k8sObject = z.record(z.string(), z.unknown()).transform((o) => camelKeys(o) as Record<string, unknown>);

/**
 * A strict object whose snake_case keys may also be written in camelCase (`jobSpec` for
 * `job_spec`), as runnable's models take them: both spellings are in the schema (so errors name
 * the key as written, and editors offer both), and the camelCase value is moved to its
 * snake_case key; giving both is an error.
 */
function keys<S extends Shape>(shape: S): z.ZodType<z.output<z.ZodObject<S>>> {
  const aliases: Shape = {};
  for (const [k, schema] of Object.entries(shape)) {
    if (!k.includes('_')) continue;
    // the default is the snake_case key's: an alias is only what the user wrote
    aliases[camel(k)] = (schema instanceof z.ZodDefault ? (schema.unwrap() as z.ZodType) : schema).optional();
  }
  return z.strictObject({ ...shape, ...aliases }).transform((o, ctx) => {
    const out: Record<string, unknown> = { ...o };
    for (const [k, schema] of Object.entries(shape)) {
      const alias = camel(k);
      if (alias === k || !(alias in out)) continue;
      const value = out[alias];
      delete out[alias];
      if (value === undefined) continue;
      const fromDefault = schema instanceof z.ZodDefault;
      if (!fromDefault && out[k] !== undefined) ctx.addIssue({ code: 'custom', message: `'${alias}' and '${k}' are the same setting: give it once`, path: [alias] });
      out[k] = value;
    }
    return out as z.output<z.ZodObject<S>>;
  }) as unknown as z.ZodType<z.output<z.ZodObject<S>>>;
}

const quantity = z.union([z.string().min(1), z.number()]).transform(String);
/** runnable's `gpu` is `nvidia.com/gpu` */
const quantities = z.record(z.string(), quantity.nullable()).transform((q) => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(q)) if (v !== null) out[k === 'gpu' ? 'nvidia.com/gpu' : k] = v;
  return out;
});
const resources = keys({ limits: quantities.optional(), requests: quantities.nullable().optional() });

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'an environment variable name is letters, digits, _ . and -');
const scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);
/** `{NAME: value}` or Kubernetes' list of `{name, value}` / `{name, valueFrom}` */
const env = z.union([
  z.record(envName, scalar).transform((m) => Object.entries(m).map(([name, value]) => ({ name, value }))),
  z.array(keys({ name: envName, value: scalar.optional(), value_from: k8sObject.optional() })).transform((list) =>
    list.map(({ name, value, value_from }) => ({ name, ...(value !== undefined ? { value } : {}), ...(value_from ? { valueFrom: value_from } : {}) })),
  ),
]);

const count = z.number().int().min(0);
const labels = z.record(z.string(), scalar);
const pullPolicy = z.enum(['Always', 'IfNotPresent', 'Never']);
/** minute hour day-of-month month day-of-week, or a macro (`@daily`) */
const cron = z.string().regex(/^(\S+\s+){4}\S+$|^@\w+$/, 'a cron schedule has 5 fields (minute hour day month weekday), e.g. "0 2 * * *"');

/** runnable's `jobSpec` (its extensions/job_executor/k8s.py `Spec`) */
const container = keys({
  image: z.string().min(1),
  env: env.optional(),
  image_pull_policy: pullPolicy.optional(),
  resources: resources.optional(),
  volume_mounts: z.array(k8sObject).nullable().optional(),
});
const podSpec = keys({
  active_deadline_seconds: count.optional(),
  node_selector: labels.nullable().optional(),
  tolerations: z.array(k8sObject).nullable().optional(),
  volumes: z.array(k8sObject).nullable().optional(),
  service_account_name: z.string().min(1).nullable().optional(),
  restart_policy: z.enum(['Never', 'OnFailure']).optional(),
  container,
});
const jobSpec = keys({
  active_deadline_seconds: count.nullable().optional(),
  backoff_limit: count.optional(),
  selector: k8sObject.nullable().optional(),
  ttl_seconds_after_finished: count.nullable().optional(),
  template: keys({
    // a pod's name and namespace are the Job's: runnable's `generate_name` and `namespace` here are accepted and have no effect
    metadata: keys({ annotations: labels.nullable().optional(), labels: labels.nullable().optional(), generate_name: z.string().nullable().optional(), namespace: z.string().nullable().optional() })
      .nullable()
      .optional(),
    spec: podSpec,
  }),
});

const common = {
  // SPEC §6's flat keys
  image: z.string().min(1).optional(),
  image_pull_policy: pullPolicy.optional(),
  namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a namespace is lowercase letters, digits and -').max(63).default('default'),
  resources: resources.optional(),
  env: env.optional(),
  volumes: z.array(k8sObject).optional(),
  volume_mounts: z.array(k8sObject).optional(),
  /** a PersistentVolumeClaim holding the run logs and the catalog (runnable: `pvc_claim_name`) */
  pvc: z.string().min(1).optional(),
  pvc_claim_name: z.string().min(1).optional(),
  service_account_name: z.string().min(1).optional(),
  backoff_limit: count.optional(),
  active_deadline_seconds: count.optional(),
  ttl_seconds_after_finished: count.optional(),
  node_selector: labels.optional(),
  tolerations: z.array(k8sObject).optional(),
  labels: labels.optional(),
  annotations: labels.optional(),
  schedule: cron.optional(),
  /** a kubeconfig file (runnable: `config_path`); absent: $KUBECONFIG or ~/.kube/config, or the pod's service account in a cluster */
  kubeconfig: z.string().min(1).optional(),
  config_path: z.string().min(1).nullable().optional(),
  /** the kubeconfig context to use (default: its current-context) */
  context: z.string().min(1).optional(),
  /** the project's folder in the image: the pod's working directory, where the stores' folders are mounted (examples/Dockerfile's WORKDIR) */
  working_dir: z.string().regex(/^\//, 'working_dir is an absolute path in the image').default('/app'),
  /** where runnable-ts is installed in the image, from the working directory or absolute */
  runnable_ts: z.string().min(1).default('node_modules/runnable-ts'),
  /** runnable's: true prints the manifest and submits nothing (as `--dry-run`) */
  mock: z.boolean().default(false),
  /** seconds between two looks at the Job */
  poll_interval: z.number().positive().default(1),
  // runnable's nested form
  job_spec: jobSpec.optional(),
};

type K8sJobConfig = z.output<z.ZodObject<typeof common>> & { mini_k8s_run_log_location?: string; mini_k8s_catalog_location?: string };

/** The config as settings; a setting given twice or missing is an issue at its key. */
function toSettings(c: K8sJobConfig, ctx: z.RefinementCtx): K8sJobSettings {
  try {
    return settingsFrom(c);
  } catch (e) {
    if (!(e instanceof SettingsError)) throw e;
    ctx.addIssue({ code: 'custom', message: e.message, path: [e.field] });
    return z.NEVER;
  }
}

export const k8sJobConfig = keys(common).transform(toSettings);
/** `mini-k8s-job`: the run logs and the catalog are host folders of the (minikube) node, as runnable's `MiniK8sJobExecutor` mounts them */
export const miniK8sJobConfig = keys({
  ...common,
  mini_k8s_run_log_location: z.string().regex(/^\//, 'an absolute path on the node').default('/volume/run_logs/'),
  mini_k8s_catalog_location: z.string().regex(/^\//, 'an absolute path on the node').default('/volume/catalog/'),
}).transform(toSettings);

export type EnvVar = { name: string; value?: string; valueFrom?: Record<string, unknown> };
export type K8sObject = Record<string, unknown>;

/** Where the run-log store and the catalog's folders come from inside the pod. */
export type StoreVolume = { kind: 'pvc'; claimName: string } | { kind: 'host-path'; runLog: string; catalog: string };

/** The configuration in one spelling: what manifest.ts builds the Job from. */
export interface K8sJobSettings {
  namespace: string;
  image: string;
  imagePullPolicy?: string;
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
  env: EnvVar[];
  volumes: K8sObject[];
  volumeMounts: K8sObject[];
  storeVolume?: StoreVolume;
  serviceAccountName?: string;
  backoffLimit: number;
  activeDeadlineSeconds?: number;
  podActiveDeadlineSeconds?: number;
  ttlSecondsAfterFinished?: number;
  nodeSelector?: Record<string, string>;
  tolerations?: K8sObject[];
  selector?: K8sObject;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  restartPolicy: 'Never' | 'OnFailure';
  schedule?: string;
  kubeconfig?: string;
  context?: string;
  workingDir: string;
  runnableTs: string;
  mock: boolean;
  pollIntervalMs: number;
}

/** A setting given twice (flat and in `jobSpec`), or missing; `field` under `job-executor.config`. */
class SettingsError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

/** One value from the flat key or runnable's `jobSpec`, which must not disagree. */
function once<T>(field: string, flat: T | null | undefined, nested: T | null | undefined, nestedField: string): T | undefined {
  if (flat != null && nested != null && JSON.stringify(flat) !== JSON.stringify(nested)) {
    throw new SettingsError(`'${field}' is also set in ${nestedField}: give it once`, field);
  }
  return flat ?? nested ?? undefined;
}

/**
 * The settings in one spelling. Defaults: `backoffLimit` 0 (a failed task is recorded as such;
 * `max_attempts` on the task is how a job is retried, attempt by attempt in one run log),
 * `restartPolicy` Never, `ttlSecondsAfterFinished` one day (runnable's).
 */
function settingsFrom(c: K8sJobConfig): K8sJobSettings {
  const spec = c.job_spec;
  const pod = spec?.template.spec;
  const box = pod?.container;
  const meta = spec?.template.metadata;
  const image = once('image', c.image, box?.image, 'jobSpec.template.spec.container.image');
  if (!image) throw new SettingsError("the image the job runs in is required: 'image' (or runnable's jobSpec.template.spec.container.image)", 'image');
  const claim = once('pvc', c.pvc, c.pvc_claim_name, 'pvc_claim_name');
  let storeVolume: StoreVolume | undefined = claim ? { kind: 'pvc', claimName: claim } : undefined;
  if (c.mini_k8s_run_log_location && c.mini_k8s_catalog_location) {
    if (claim) throw new SettingsError('mini-k8s-job mounts host folders of the node: it takes no PVC', c.pvc ? 'pvc' : 'pvc_claim_name');
    storeVolume = { kind: 'host-path', runLog: c.mini_k8s_run_log_location, catalog: c.mini_k8s_catalog_location };
  }
  const kubeconfig = once('kubeconfig', c.kubeconfig, c.config_path, 'config_path');
  return {
    namespace: c.namespace,
    image,
    imagePullPolicy: once('image_pull_policy', c.image_pull_policy, box?.image_pull_policy, 'jobSpec.template.spec.container.imagePullPolicy'),
    resources: normaliseResources(once('resources', c.resources, box?.resources, 'jobSpec.template.spec.container.resources')),
    env: [...(box?.env ?? []), ...(c.env ?? [])],
    volumes: [...(pod?.volumes ?? []), ...(c.volumes ?? [])],
    volumeMounts: [...(box?.volume_mounts ?? []), ...(c.volume_mounts ?? [])],
    storeVolume,
    serviceAccountName: once('service_account_name', c.service_account_name, pod?.service_account_name, 'jobSpec.template.spec.serviceAccountName'),
    backoffLimit: once('backoff_limit', c.backoff_limit, spec?.backoff_limit, 'jobSpec.backoffLimit') ?? 0,
    activeDeadlineSeconds: once('active_deadline_seconds', c.active_deadline_seconds, spec?.active_deadline_seconds, 'jobSpec.activeDeadlineSeconds'),
    podActiveDeadlineSeconds: pod?.active_deadline_seconds,
    ttlSecondsAfterFinished: once('ttl_seconds_after_finished', c.ttl_seconds_after_finished, spec?.ttl_seconds_after_finished, 'jobSpec.ttlSecondsAfterFinished') ?? 86_400,
    nodeSelector: once('node_selector', c.node_selector, pod?.node_selector, 'jobSpec.template.spec.nodeSelector'),
    tolerations: once('tolerations', c.tolerations, pod?.tolerations, 'jobSpec.template.spec.tolerations'),
    selector: spec?.selector ?? undefined,
    labels: { ...(meta?.labels ?? {}), ...(c.labels ?? {}) },
    annotations: { ...(meta?.annotations ?? {}), ...(c.annotations ?? {}) },
    restartPolicy: pod?.restart_policy ?? 'Never',
    schedule: c.schedule,
    kubeconfig,
    context: c.context,
    workingDir: c.working_dir,
    runnableTs: c.runnable_ts,
    mock: c.mock,
    pollIntervalMs: c.poll_interval * 1000,
  };
}

function normaliseResources(r: { limits?: Record<string, string>; requests?: Record<string, string> | null } | undefined) {
  if (!r) return undefined;
  return { ...(r.limits ? { limits: r.limits } : {}), ...(r.requests ? { requests: r.requests } : {}) };
}
