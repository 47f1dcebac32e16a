/**
 * The spans of a run that a pod of an engine with no driver (Argo) alone knows, sent when its
 * command ends, with the derived ids (./_derived.ts) and the times the run log recorded. Each
 * span is sent by the pod that ends what it covers, so it is sent once:
 * - a task's pod: the spans of the attempts it made and, once the step is settled (it succeeded,
 *   or this submission made its last attempt: Argo runs one pod per attempt), the step's span;
 * - a stub's pod, and the pod that closes a composite (`fan ... out`, or `fan ... in` when the
 *   composite could not open): the step's span;
 * - a step skipped because it succeeded before (a resubmitted workflow): its span, marked
 *   skipped (a composite's by `fan ... in`, which runs first);
 * - the pod of a success or fail step: the span of the graph it ends, a branch or the run.
 * A step's span hangs from its branch's (the run's at the top level), a branch's from its
 * composite step's, an attempt's from its step's: the tree a driver builds (./_spans.ts),
 * whichever pod sends each span. Attempts take their times from the run log too, so that each
 * lies within its step's span.
 */
import type { Span, Tracer } from '@opentelemetry/api';
import { isComposite } from '../graph/model.js';
import { resolveName } from '../graph/names.js';
import { parentOfBranch, parentOfStep } from '../nodes/index.js';
import type { Status, StepAttempt } from '../runlog/types.js';
import { attemptRecord, recordAttributes } from './_attributes.js';
import { ChosenIds, derivedIds, type DerivedIds } from './_derived.js';
import type { PodStep, TelemetryInputs } from './index.js';

type Api = typeof import('@opentelemetry/api');

export interface PodIds {
  ids: DerivedIds;
  /** the provider's IdGenerator */
  chosen: ChosenIds;
  /** when this submission of the run was opened (ms): attempts before it belong to an earlier trace */
  openedAt: number;
}

/** The run's derived ids, from its header (the run id and how many times it was continued). */
export async function podIds(inputs: TelemetryInputs): Promise<PodIds> {
  const header = await inputs.log.header();
  const ids = derivedIds(inputs.runId, Number(header?.run_config.retries ?? 0));
  const opened = Date.parse(String((header?.run_config.runner as { started_at?: string } | undefined)?.started_at));
  return { ids, chosen: new ChosenIds(ids.traceId), openedAt: Number.isFinite(opened) ? opened : 0 };
}

interface Ended {
  status: Status;
  message?: string;
  cached?: boolean;
}

export interface PodSpans {
  attemptStarted(internalName: string, number: number): void;
  /** an attempt, a stub or a composite step ended in this process */
  finished(e: { internalName: string } & Ended): void;
  skipped(): void;
  /** sends the spans this pod alone knows; `status`: how its command ended */
  end(status: Status | undefined): Promise<void>;
}

export function podSpans(
  api: Api,
  tracer: Tracer,
  { ids, chosen, openedAt }: PodIds,
  inputs: TelemetryInputs & { pod: PodStep },
  setStatus: (span: Span, status: Status, message?: string) => void,
  mask: (text: string) => string,
): PodSpans {
  const { node, graph, frames } = inputs.pod;
  const base = { 'runnable.run_id': inputs.runId };
  const remote = (spanId: string) => api.trace.setSpanContext(api.ROOT_CONTEXT, { traceId: ids.traceId, spanId, traceFlags: api.TraceFlags.SAMPLED, isRemote: true });
  const thisSubmission = (attempts: StepAttempt[]) => attempts.filter((a) => Date.parse(a.start_time) >= openedAt);
  let closed: Ended | undefined;
  let skipped = false;
  const attempts: { internalName: string; number: number; ended?: Ended }[] = [];

  const internalName = resolveName(node.internalName, frames);
  const branch = parentOfStep(graph, frames);
  const sendStep = (start: string | number, end: string | number, status: Status, attributes: Record<string, string | boolean> = {}) => {
    chosen.next = ids.step(internalName);
    const span = tracer.startSpan(
      `step ${internalName}`,
      { attributes: { ...base, 'runnable.step': internalName, 'runnable.step_type': node.type, ...attributes }, startTime: time(start) },
      remote(branch ? ids.branch(branch) : ids.run),
    );
    setStatus(span, status);
    span.end(time(end));
  };

  /** a success or fail step ends its graph: the branch's span (or the run's) from its first step's start */
  const sendGraph = async (status: Status) => {
    if (!graph.internalName) {
      chosen.next = ids.run;
      const span = tracer.startSpan(`run ${inputs.runId}`, { attributes: { ...base, 'runnable.pipeline': inputs.graph.internalName || 'pipeline' }, startTime: openedAt || Date.now() }, api.ROOT_CONTEXT);
      setStatus(span, status);
      span.end();
      return;
    }
    let start = Date.now();
    for (const name of Object.keys(graph.nodes)) {
      for (const a of thisSubmission((await inputs.log.step(`${branch}.${name}`))?.attempts ?? [])) start = Math.min(start, Date.parse(a.start_time));
    }
    chosen.next = ids.branch(branch);
    const span = tracer.startSpan(`branch ${branch}`, { attributes: { ...base, 'runnable.branch': branch }, startTime: start }, remote(ids.step(parentOfBranch(graph, frames))));
    setStatus(span, status);
    span.end();
  };

  const sendAttempt = async ({ internalName: name, number, ended = { status: 'FAIL', message: 'interrupted' } }: (typeof attempts)[number]) => {
    const rec = await attemptRecord(inputs.log, name, number);
    const attributes = {
      ...base,
      'runnable.step': name,
      'runnable.attempt': number,
      ...(ended.cached ? { 'runnable.cache': 'hit' } : {}),
      ...recordAttributes(rec, mask),
    };
    const span = tracer.startSpan(`attempt ${number}`, { attributes, startTime: time(rec?.start_time ?? Date.now()) }, remote(ids.step(name)));
    setStatus(span, ended.status, ended.message);
    span.end(time(rec?.end_time || Date.now()));
  };

  return {
    attemptStarted(name, number) {
      attempts.push({ internalName: name, number });
    },
    finished(e) {
      const open = attempts.find((a) => a.internalName === e.internalName && !a.ended);
      if (open) open.ended = e;
      else closed = e;
    },
    skipped() {
      skipped = true;
    },
    async end(status) {
      for (const a of attempts) await sendAttempt(a);
      if (skipped) {
        if (!isComposite(node) || inputs.pod.fan === 'in') sendStep(Date.now(), Date.now(), 'SUCCESS', { 'runnable.skipped': true });
        return;
      }
      if (node.type === 'success' || node.type === 'fail') return sendGraph(status ?? (node.type === 'success' ? 'SUCCESS' : 'FAIL'));
      const step = await inputs.log.step(internalName);
      const mine = thisSubmission(step?.attempts ?? []);
      const first = mine[0];
      const last = mine.at(-1);
      if (!step || !first || !last) return;
      if (node.type === 'task') {
        const settled = step.status === 'SUCCESS' || (step.status === 'FAIL' && mine.length >= node.maxAttempts);
        if (settled) sendStep(first.start_time, last.end_time, step.status);
      } else if (node.type === 'stub' || closed) {
        const { status: ended, message } = closed ?? { status: step.status };
        sendStep(last.start_time, last.end_time, ended, ended === 'FAIL' && message ? { 'runnable.message': mask(message).slice(0, 500) } : {});
      }
    },
  };
}

/** a recorded ISO time (or ms) as ms; now if it is missing */
function time(t: string | number): number {
  const ms = typeof t === 'number' ? t : Date.parse(t);
  return Number.isFinite(ms) ? ms : Date.now();
}
