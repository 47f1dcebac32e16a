/**
 * OpenTelemetry traces of runs: one trace per run, a span per step, branch and attempt,
 * exported over OTLP/HTTP. On when `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` /
 * `OTEL_EXPORTER_OTLP_ENDPOINT` is set or the config has a `telemetry` section
 * (`{type: otlp, config: {endpoint, headers}}`); off otherwise, and then nothing of OpenTelemetry
 * is loaded (./_spans.ts imports it on demand).
 *
 * A step run in another process (emulate, containers, Slurm) joins the trace through W3C trace
 * context: the driver gives the step's command `TRACEPARENT` (the launcher passes a command's
 * `env` on), and `execute-single-node` parents its attempt spans there.
 *
 * Argo pods have no driver to hand them a TRACEPARENT: the manifest gives every step and fan pod
 * `RUNNABLE_TRACE_CONTEXT=run-id`, and each derives the trace from the run id (./_derived.ts:
 * the trace id and the span ids of the run, each step and each branch are slices of a sha256 of
 * the run id, the submission and the internal name), parents its spans by those ids and sends
 * the spans it alone knows, with the times the run log recorded (./_pod.ts): a task's pod its
 * attempts and the step, a composite's closing pod the step, a success or fail step's pod the
 * span of the branch (or the run) it ends. The result is the one trace a driver would send.
 * The endpoint reaches pods only as the user gives it to them: the argo config's `env`, or the
 * `telemetry` section, which the pods' config carries.
 */
import type { LoadedConfig } from '../config/load-config.js';
import { RunnableError } from '../errors.js';
import type { RunObserver } from '../engine/context.js';
import type { Graph, PipelineNode } from '../graph/model.js';
import type { IterVars } from '../graph/names.js';
import type { RunLogAccess } from '../runlog/access.js';
import type { Status } from '../runlog/types.js';

export interface TelemetrySettings {
  /** the OTLP/HTTP traces URL (…/v1/traces) */
  url: string;
  headers: Record<string, string>;
}

export interface RunTelemetry {
  observer: RunObserver;
  /** the environment a step's command gets to join the trace (TRACEPARENT) */
  commandEnv(internalName: string, type: string): Record<string, string>;
  /** ends the open spans and sends everything; never throws */
  end(status?: Status): Promise<void>;
}

export interface TelemetryInputs {
  settings: TelemetrySettings;
  /**
   * driver: the run's root span and every step's; step: a step's attempts under TRACEPARENT;
   * pod: a step's process with no driver, under ids derived from the run id (`pod` says which)
   */
  role: 'driver' | 'step' | 'pod';
  pod?: PodStep;
  runId: string;
  graph: Graph;
  log: RunLogAccess;
  /** secret values masked in attributes */
  secrets: string[];
  env: NodeJS.ProcessEnv;
  attributes?: Record<string, string>;
}

/** What a process of an engine with no driver runs (role `pod`). */
export interface PodStep {
  node: PipelineNode;
  /** the graph holding it, and its iteration frames */
  graph: Graph;
  frames: IterVars;
  /** a composite's half: `fan ... in` opens it, `fan ... out` closes it */
  fan?: 'in' | 'out';
}

/** Set by an engine with no driver (the Argo manifest) on its step processes: derive the trace from the run id. */
export const TRACE_CONTEXT_ENV = 'RUNNABLE_TRACE_CONTEXT';
export const TRACE_FROM_RUN_ID = 'run-id';

/** How a step's process traces: under its driver's TRACEPARENT, or (no driver) from the run id. */
export function stepRole(env: NodeJS.ProcessEnv): 'step' | 'pod' {
  return env[TRACE_CONTEXT_ENV] === TRACE_FROM_RUN_ID ? 'pod' : 'step';
}

export function telemetrySettings(config: LoadedConfig | undefined, env: NodeJS.ProcessEnv): TelemetrySettings | undefined {
  const section = config?.sections.telemetry;
  const headers = parseHeaders(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS ?? env.OTEL_EXPORTER_OTLP_HEADERS);
  if (env.OTEL_SDK_DISABLED === 'true') return undefined;
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return { url: env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, headers };
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) return { url: `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '')}/v1/traces`, headers };
  if (section && section.type !== 'none' && section.type !== 'otlp') {
    throw new RunnableError('E_CONFIG', `unknown telemetry type '${section.type}' (known: otlp, none)`, { file: config?.file, field: 'telemetry.type' });
  }
  for (const key of Object.keys(section?.config ?? {})) {
    if (key !== 'endpoint' && key !== 'headers') throw new RunnableError('E_CONFIG', `unknown telemetry config key '${key}' (known: endpoint, headers)`, { file: config?.file, field: `telemetry.config.${key}` });
  }
  if (section && section.type === 'otlp') {
    const endpoint = String(section.config?.endpoint ?? 'http://localhost:4318');
    const extra = (section.config?.headers ?? {}) as Record<string, string>;
    return { url: endpoint.endsWith('/v1/traces') ? endpoint : `${endpoint.replace(/\/$/, '')}/v1/traces`, headers: { ...headers, ...extra } };
  }
  return undefined;
}

/** Starts tracing a run (or a step of one); undefined when telemetry is off. */
export async function startTelemetry(inputs: Omit<TelemetryInputs, 'settings'> & { config?: LoadedConfig }): Promise<RunTelemetry | undefined> {
  const settings = telemetrySettings(inputs.config, inputs.env);
  if (!settings) return undefined;
  if (inputs.role === 'step' && !inputs.env.TRACEPARENT) return undefined;
  const { startSpans } = await import('./_spans.js');
  return startSpans({ ...inputs, settings });
}

/** `k1=v1,k2=v2` (OTEL_EXPORTER_OTLP_HEADERS) */
function parseHeaders(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (text ?? '').split(',')) {
    const i = part.indexOf('=');
    if (i > 0) out[decodeURIComponent(part.slice(0, i).trim())] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}
