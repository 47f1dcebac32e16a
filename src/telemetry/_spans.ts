/**
 * The spans of a run, built from the run's observer events. Loaded only when telemetry is on;
 * the OpenTelemetry packages are imported here, dynamically, so that even the bundled CLI
 * loads none of them otherwise.
 *
 * Parents follow internal names: step `a.b.c` sits in branch `a.b`, which sits in step `a`;
 * top-level steps sit in the run's span. A task's step span holds one span per attempt. In
 * the driver, a step that runs in another process (its command got TRACEPARENT) gets its
 * attempt spans from that process; in that process (`role: 'step'`) the attempts hang from
 * TRACEPARENT. With no driver (`role: 'pod'`, Argo), the attempts hang from the step's derived
 * span id and the pod sends the other spans it alone knows (./_pod.ts).
 */
import type { Context, Span, Tracer } from '@opentelemetry/api';
import type { RunObserver } from '../engine/context.js';
import { findNode, templateName } from '../graph/names.js';
import type { Status } from '../runlog/types.js';
import { maskSecrets } from '../util/mask.js';
import { attemptRecord, recordAttributes } from './_attributes.js';
import type { RunTelemetry, TelemetryInputs } from './index.js';
import { podIds, podSpans, type PodSpans } from './_pod.js';

interface StepSpan {
  span: Span;
  /** a task's current attempt */
  attempt?: { span: Span; number: number; started: number };
  /** the number of its first attempt in this trace: under `retry`, numbers go on from the run before */
  firstAttempt?: number;
  /** runs in another process: its attempts are traced there */
  remote: boolean;
  lastEnd?: number;
  status?: Status;
}

export async function startSpans(inputs: TelemetryInputs): Promise<RunTelemetry> {
  const api = await import('@opentelemetry/api');
  const { BasicTracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  const { resourceFromAttributes } = await import('@opentelemetry/resources');
  const { W3CTraceContextPropagator } = await import('@opentelemetry/core');

  const derived = inputs.role === 'pod' ? await podIds(inputs) : undefined;
  const provider = new BasicTracerProvider({
    ...(derived ? { idGenerator: derived.chosen } : {}),
    resource: resourceFromAttributes({ 'service.name': inputs.env.OTEL_SERVICE_NAME ?? 'runnable-ts', 'process.pid': process.pid, ...inputs.attributes }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: inputs.settings.url, headers: inputs.settings.headers }))],
  });
  const tracer: Tracer = provider.getTracer('runnable-ts');
  const propagator = new W3CTraceContextPropagator();
  const incoming = inputs.env.TRACEPARENT
    ? propagator.extract(api.ROOT_CONTEXT, { traceparent: inputs.env.TRACEPARENT, ...(inputs.env.TRACESTATE ? { tracestate: inputs.env.TRACESTATE } : {}) }, api.defaultTextMapGetter)
    : api.ROOT_CONTEXT;
  const mask = (s: string) => maskSecrets(s, inputs.secrets);
  const base = { 'runnable.run_id': inputs.runId };

  const root = inputs.role === 'driver' ? tracer.startSpan(`run ${inputs.runId}`, { attributes: { ...base, 'runnable.pipeline': inputs.graph.internalName || 'pipeline' } }, incoming) : undefined;
  const rootCtx = root ? api.trace.setSpan(api.ROOT_CONTEXT, root) : incoming;
  const steps = new Map<string, StepSpan>();
  const branches = new Map<string, Span>();
  const ended: { internalName: string; span: Span; number: number; at: number }[] = [];

  /**
   * A step's span is a child of its branch's. A step submitted ahead of its turn (Slurm queues
   * a branch's jobs before the branch starts) needs its span, for its TRACEPARENT, before the
   * branch has started: the branch's span is then started with it, under its composite's.
   */
  const parentCtx = (internalName: string): Context => {
    const cut = internalName.lastIndexOf('.');
    if (cut < 0) return rootCtx;
    const branch = branchSpan(internalName.slice(0, cut));
    return branch ? api.trace.setSpan(api.ROOT_CONTEXT, branch) : rootCtx;
  };
  /** the branch's span, started now if the branch has not started yet (undefined: not a branch) */
  const branchSpan = (branchName: string): Span | undefined => {
    const open = branches.get(branchName);
    if (open || inputs.role !== 'driver') return open;
    const cut = branchName.lastIndexOf('.');
    const composite = cut < 0 ? undefined : steps.get(branchName.slice(0, cut));
    if (!composite) return undefined;
    const span = tracer.startSpan(`branch ${branchName}`, { attributes: { ...base, 'runnable.branch': branchName } }, api.trace.setSpan(api.ROOT_CONTEXT, composite.span));
    branches.set(branchName, span);
    return span;
  };
  const maxAttempts = (internalName: string): number => {
    try {
      const { node } = findNode(inputs.graph, templateName(inputs.graph, internalName));
      return node.type === 'task' ? node.maxAttempts : 1;
    } catch {
      return 1;
    }
  };
  const stepSpan = (internalName: string, type: string): StepSpan => {
    let s = steps.get(internalName);
    if (!s) {
      const span = tracer.startSpan(`step ${internalName}`, { attributes: { ...base, 'runnable.step': internalName, 'runnable.step_type': type } }, parentCtx(internalName));
      steps.set(internalName, (s = { span, remote: false }));
    }
    return s;
  };
  const endStep = (internalName: string, s: StepSpan) => {
    if (s.status) setStatus(s.span, s.status);
    s.span.end(s.lastEnd);
    steps.delete(internalName);
  };
  const setStatus = (span: Span, status: Status, message?: string) => {
    span.setAttribute('runnable.status', status);
    span.setStatus(status === 'FAIL' ? { code: api.SpanStatusCode.ERROR, message: message ? mask(message).slice(0, 500) : undefined } : { code: api.SpanStatusCode.OK });
  };
  const pod: PodSpans | undefined = derived && inputs.pod ? podSpans(api, tracer, derived, { ...inputs, pod: inputs.pod }, setStatus, mask) : undefined;
  /**
   * The attempt's parameters come from the run log, where a task records its attempts once it
   * is done with them: they are read, and the attempt spans ended, when the trace ends.
   */
  const endAttempt = (internalName: string, attempt: { span: Span; number: number }, status: Status, message: string | undefined, cached: boolean, at: number) => {
    const { span, number } = attempt;
    span.setAttribute('runnable.attempt', number);
    if (cached) span.setAttribute('runnable.cache', 'hit');
    setStatus(span, status, message);
    ended.push({ internalName, span, number, at });
  };
  const withParameters = async ({ internalName, span, number, at }: (typeof ended)[number]) => {
    try {
      span.setAttributes(recordAttributes(await attemptRecord(inputs.log, internalName, number), mask));
    } catch {
      // the run log is the run's business: the span goes without the parameters
    }
    span.end(at);
  };

  const observer: RunObserver = {
    stepStarted(e) {
      if (pod) return e.attempt === undefined ? undefined : pod.attemptStarted(e.internalName, e.attempt);
      if (inputs.role !== 'driver') {
        if (e.attempt === undefined) return; // a fan process opens composites: traced by the driver
        const span = tracer.startSpan(`attempt ${e.attempt}`, { attributes: { ...base, 'runnable.step': e.internalName, 'runnable.attempt': e.attempt } }, incoming);
        steps.set(e.internalName, { span, remote: false, attempt: { span, number: e.attempt, started: Date.now() } });
        return;
      }
      const s = stepSpan(e.internalName, e.type);
      if (e.attempt !== undefined && !s.remote) {
        const span = tracer.startSpan(`attempt ${e.attempt}`, { attributes: { ...base, 'runnable.step': e.internalName, 'runnable.attempt': e.attempt } }, api.trace.setSpan(api.ROOT_CONTEXT, s.span));
        s.attempt = { span, number: e.attempt, started: Date.now() };
        s.firstAttempt ??= e.attempt;
      }
    },
    stepFinished(e) {
      if (pod) return pod.finished(e);
      const now = Date.now();
      const s = steps.get(e.internalName) ?? (inputs.role === 'driver' ? stepSpan(e.internalName, e.type) : undefined);
      if (!s) return;
      if (s.attempt) {
        endAttempt(e.internalName, s.attempt, e.status, e.message, !!e.cached, now);
        const number = s.attempt.number;
        s.attempt = undefined;
        if (inputs.role === 'step') {
          steps.delete(e.internalName);
          return;
        }
        s.status = e.status;
        s.lastEnd = now;
        // the step ends with its last attempt: a success, or the last its max_attempts allows in this run
        if (e.status === 'SUCCESS' || number - (s.firstAttempt ?? number) + 1 >= maxAttempts(e.internalName)) endStep(e.internalName, s);
        return;
      }
      s.status = e.status;
      s.lastEnd = now;
      if (e.message && e.status === 'FAIL') s.span.setAttribute('runnable.message', mask(e.message).slice(0, 500));
      endStep(e.internalName, s);
    },
    stepSkipped(e) {
      pod?.skipped();
      if (inputs.role !== 'driver') return;
      const s = stepSpan(e.internalName, e.type);
      s.span.setAttribute('runnable.skipped', true);
      s.status = 'SUCCESS';
      endStep(e.internalName, s);
    },
    branchStarted(e) {
      if (inputs.role !== 'driver' || branches.has(e.internalName)) return; // started already by a step submitted ahead
      const cut = e.internalName.lastIndexOf('.');
      const composite = steps.get(e.internalName.slice(0, cut));
      const ctx = composite ? api.trace.setSpan(api.ROOT_CONTEXT, composite.span) : parentCtx(e.internalName.slice(0, cut));
      branches.set(e.internalName, tracer.startSpan(`branch ${e.internalName}`, { attributes: { ...base, 'runnable.branch': e.internalName } }, ctx));
    },
    branchFinished(e) {
      const span = branches.get(e.internalName);
      if (!span) return;
      // steps of the branch still open (a task whose last attempt failed) end with it
      for (const [name, s] of steps) if (name.startsWith(`${e.internalName}.`)) endStep(name, s);
      setStatus(span, e.status);
      span.end();
      branches.delete(e.internalName);
    },
  };

  return {
    observer,
    commandEnv(internalName, type) {
      if (inputs.role !== 'driver') return {};
      const s = stepSpan(internalName, type);
      s.remote = true;
      if (s.attempt) {
        // started before we knew it runs elsewhere: its process traces the attempt
        s.attempt = undefined;
      }
      const carrier: Record<string, string> = {};
      propagator.inject(api.trace.setSpan(api.ROOT_CONTEXT, s.span), carrier, api.defaultTextMapSetter);
      if (!carrier.traceparent) return {};
      // the endpoint too: a container or a cluster job does not inherit this process's environment
      return { TRACEPARENT: carrier.traceparent, ...(carrier.tracestate ? { TRACESTATE: carrier.tracestate } : {}), OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: inputs.settings.url };
    },
    async end(status) {
      try {
        for (const [name, s] of [...steps]) {
          if (s.attempt) endAttempt(name, s.attempt, s.status ?? 'FAIL', 'interrupted', false, Date.now());
          if (inputs.role === 'driver') endStep(name, s);
        }
        for (const span of branches.values()) span.end();
        if (root) {
          if (status) setStatus(root, status);
          root.end();
        }
        for (const a of ended) await withParameters(a);
        await pod?.end(status);
        await provider.forceFlush();
        await provider.shutdown();
      } catch {
        // a collector that is down must not fail the run
      }
    },
  };
}
