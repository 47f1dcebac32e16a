/**
 * OpenTelemetry under Argo, where no driver hands the pods a TRACEPARENT: a nested pipeline (a
 * map in a parallel in a loop, then a task that fails its first attempt and is retried by Argo
 * in a second pod, then a stub) compiled and run in the test interpreter, every pod a real
 * process sending its spans to a loopback OTLP/HTTP receiver. The pods derive the trace from the
 * run id (the manifest's RUNNABLE_TRACE_CONTEXT): the spans arrive as one trace, one root, every
 * other span's parent in it, and the tree is the one the same pipeline gives under `emulate`.
 * A failed workflow submitted again under its run_id continues the run in a new trace.
 */
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO } from '../examples/_run.js';
import { cleanEnv, cleanup, cli, makeWorkdir } from '../executors/_emulate.js';
import { attr, startOtlpReceiver, type OtlpReceiver, type OtlpSpan } from '../views/_otlp.js';
import { argoConfig, compile, interpret, uniqueRunId } from './_harness.js';

afterAll(cleanup);
let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(() => receiver.close());

// test/views/fixtures/nested.yaml, then a retried task and a stub
const PIPELINE = `dag:
  start_at: rounds
  steps:
    rounds:
      type: loop
      max_iterations: 3
      break_on: stop
      index_as: round
      next: retried
      branch:
        start_at: setup
        steps:
          setup:
            type: task
            command: test/views/fixtures/functions.ts:chunks
            returns: [items]
            next: both
          both:
            type: parallel
            next: check
            branches:
              fan:
                start_at: each
                steps:
                  each:
                    type: map
                    iterate_on: items
                    iterate_as: item
                    next: success
                    branch:
                      start_at: work
                      steps:
                        work:
                          type: task
                          command: test/views/fixtures/functions.ts:work
                          returns: [doubled]
                          next: success
              solo:
                start_at: score
                steps:
                  score:
                    type: task
                    command: test/views/fixtures/functions.ts:score
                    returns: [{name: accuracy, kind: metric}]
                    next: success
          check:
            type: task
            command: test/views/fixtures/functions.ts:done
            returns: [stop]
            next: success
    retried:
      type: task
      command: test/views/fixtures/functions.ts:flaky
      max_attempts: 2
      next: note
    note:
      type: stub
      next: success
`;

function project(): string {
  const cwd = makeWorkdir();
  cpSync(join(REPO, 'test', 'views', 'fixtures'), join(cwd, 'test', 'views', 'fixtures'), { recursive: true });
  writeFileSync(join(cwd, 'traced.yaml'), PIPELINE);
  return cwd;
}

/** The spans of the trace whose root is `run <runId>`. */
function traceOf(runId: string): { root: OtlpSpan; spans: OtlpSpan[] } {
  const roots = receiver.spans.filter((s) => s.name === `run ${runId}`);
  expect(roots, `root spans of ${runId}`).toHaveLength(1);
  return { root: roots[0]!, spans: receiver.spans.filter((s) => s.traceId === roots[0]!.traceId) };
}

/** Every span as `name <- parent name`, attempts named by their step, the run id left out. */
function tree(runId: string, spans: OtlpSpan[]): string[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const label = (s: OtlpSpan | undefined) => (!s ? '(none)' : s.name.startsWith('attempt ') ? `${s.name} of ${String(attr(s, 'runnable.step'))}` : s.name === `run ${runId}` ? 'run' : s.name);
  return spans.map((s) => `${label(s)} <- ${s.parentSpanId ? label(byId.get(s.parentSpanId)) : '(root)'}`).sort();
}

describe('a traced run under argo (pods in the test interpreter)', () => {
  let runId: string;
  let emulated: string[];

  beforeAll(async () => {
    // the same pipeline under emulate: the tree the pods' spans must form
    const cwd = project();
    writeFileSync(join(cwd, 'emulate.yaml'), 'pipeline-executor: {type: emulate}\nrun-log-store: {type: chunked-fs}\n');
    const emulateId = uniqueRunId('traced-emulate');
    const r = await cli(['execute', 'traced.yaml', '-c', 'emulate.yaml', '--run-id', emulateId], cwd, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    emulated = tree(emulateId, traceOf(emulateId).spans);

    // the endpoint reaches the pods as the user gives it to them: the argo config's env
    const argoCwd = project();
    const config = argoConfig(`      env:\n        - name: OTEL_EXPORTER_OTLP_ENDPOINT\n          value: ${receiver.endpoint}\n`);
    const compiled = await compile('traced.yaml', { cwd: argoCwd, config });
    runId = uniqueRunId('traced-argo');
    const run = await interpret(compiled, runId);
    expect(run.runLog?.status, run.pods.map((p) => `${p.template} ${p.phase} ${p.stderr.slice(-300)}`).join('\n')).toBe('SUCCESS');
  }, 900_000);

  test('arrives as one trace with one root, every other span parented in it', () => {
    const { root, spans } = traceOf(runId);
    const mine = receiver.spans.filter((s) => attr(s, 'runnable.run_id') === runId);
    expect(new Set(mine.map((s) => s.traceId))).toEqual(new Set([root.traceId]));
    expect(mine.length).toBe(spans.length);
    expect(root.parentSpanId ?? '').toBe('');
    const ids = new Set(spans.map((s) => s.spanId));
    expect(ids.size, 'span ids are unique').toBe(spans.length);
    for (const s of spans) if (s !== root) expect(ids.has(s.parentSpanId ?? ''), `parent of ${s.name}`).toBe(true);
  });

  test("each span lies within its parent's: the pods take their times from the run log", () => {
    const { root, spans } = traceOf(runId);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    for (const s of spans) {
      if (s === root) continue;
      const parent = byId.get(s.parentSpanId!)!;
      const where = `${s.name} (${String(attr(s, 'runnable.step') ?? '')}) in ${parent.name}`;
      expect(BigInt(s.startTimeUnixNano) >= BigInt(parent.startTimeUnixNano), `${where} starts after it`).toBe(true);
      expect(BigInt(s.endTimeUnixNano) <= BigInt(parent.endTimeUnixNano), `${where} ends before it`).toBe(true);
    }
  });

  test('the spans form the tree of the same pipeline under emulate', () => {
    const { spans } = traceOf(runId);
    const argo = tree(runId, spans);
    expect(argo).toContain('step rounds.1.both.fan.each.2.work <- branch rounds.1.both.fan.each.2');
    expect(argo).toContain('branch rounds.1.both.fan.each.2 <- step rounds.1.both.fan.each');
    expect(argo).toContain('step rounds.1.both.fan.each <- branch rounds.1.both.fan');
    expect(argo).toContain('branch rounds.1.both.fan <- step rounds.1.both');
    expect(argo).toContain('step rounds.1.both <- branch rounds.1');
    expect(argo).toContain('branch rounds.1 <- step rounds');
    expect(argo).toContain('step rounds <- run');
    expect(argo).toEqual(emulated);
  });

  test('attributes: run id, step, status and attempt; the retried task has both attempts, each from its own pod', () => {
    const { root, spans } = traceOf(runId);
    expect(attr(root, 'runnable.status')).toBe('SUCCESS');
    for (const s of spans) expect(attr(s, 'runnable.run_id'), s.name).toBe(runId);
    const step = spans.find((s) => s.name === 'step retried')!;
    expect(attr(step, 'runnable.step')).toBe('retried');
    expect(attr(step, 'runnable.step_type')).toBe('task');
    expect(attr(step, 'runnable.status')).toBe('SUCCESS');
    const attempts = spans.filter((s) => s.parentSpanId === step.spanId).sort((a, b) => Number(attr(a, 'runnable.attempt')) - Number(attr(b, 'runnable.attempt')));
    expect(attempts.map((a) => [a.name, attr(a, 'runnable.attempt'), attr(a, 'runnable.status')])).toEqual([
      ['attempt 1', 1, 'FAIL'],
      ['attempt 2', 2, 'SUCCESS'],
    ]);
    expect(attempts[0]!.pid).not.toBe(attempts[1]!.pid);
    const work = spans.find((a) => a.name === 'attempt 1' && attr(a, 'runnable.step') === 'rounds.0.both.fan.each.2.work')!;
    expect(attr(work, 'runnable.input.item')).toBe('2');
    expect(attr(work, 'runnable.output.doubled')).toBe('4');
    expect(attr(spans.find((s) => s.name === 'branch rounds.0.both.fan.each.2')!, 'runnable.status')).toBe('SUCCESS');
    expect(attr(spans.find((s) => s.name === 'step rounds')!, 'runnable.status')).toBe('SUCCESS');
  });
});

describe('a failed workflow submitted again under the same run_id', () => {
  test('continues the run in a new trace: what succeeded before is a skipped step, what runs now hangs in the new trace', async () => {
    const cwd = project();
    writeFileSync(join(cwd, 'gated.yaml'), 'dag:\n  start_at: setup\n  steps:\n    setup: {type: task, command: "test/views/fixtures/functions.ts:chunks", returns: [items], next: each}\n    each:\n      type: map\n      iterate_on: items\n      iterate_as: item\n      next: gate\n      branch:\n        start_at: work\n        steps:\n          work: {type: task, command: "test/views/fixtures/functions.ts:work", next: success}\n    gate: {type: task, command: "test/views/fixtures/functions.ts:gate", next: success}\n');
    const config = argoConfig(`      env:\n        - name: OTEL_EXPORTER_OTLP_ENDPOINT\n          value: ${receiver.endpoint}\n`);
    const compiled = await compile('gated.yaml', { cwd, config });
    const id = uniqueRunId('resubmitted');
    const first = await interpret(compiled, id);
    expect(first.runLog?.status).toBe('FAIL');
    const second = await interpret(compiled, id, { env: cleanEnv({ should_pass: 'true' }) });
    expect(second.runLog?.status).toBe('SUCCESS');

    const roots = receiver.spans.filter((s) => s.name === `run ${id}`);
    expect(roots.map((r) => attr(r, 'runnable.status'))).toEqual(['FAIL', 'SUCCESS']);
    expect(roots[0]!.traceId).not.toBe(roots[1]!.traceId);
    const spans = receiver.spans.filter((s) => s.traceId === roots[1]!.traceId);
    const ids = new Set(spans.map((s) => s.spanId));
    for (const s of spans) if (s !== roots[1]) expect(ids.has(s.parentSpanId ?? ''), `parent of ${s.name}`).toBe(true);
    expect(tree(id, spans)).toEqual(['attempt 2 of gate <- step gate', 'run <- (root)', 'step each <- run', 'step gate <- run', 'step setup <- run']);
    for (const name of ['step setup', 'step each']) expect(attr(spans.find((s) => s.name === name)!, 'runnable.skipped'), name).toBe(true);
    // gate's first attempt failed in the first trace: its step's span covers this submission's only
    const gate = spans.find((s) => s.name === 'step gate')!;
    expect(BigInt(gate.startTimeUnixNano) >= BigInt(roots[1]!.startTimeUnixNano)).toBe(true);
    expect(attr(gate, 'runnable.status')).toBe('SUCCESS');
  }, 300_000);
});

describe('the manifest', () => {
  test('tells step and fan pods to derive the trace from the run id, ships a telemetry section, and not the endpoint of the compiling shell', async () => {
    const cwd = project();
    const config = `${argoConfig()}telemetry:\n  type: otlp\n  config: {endpoint: 'http://collector.monitoring:4318', headers: {authorization: '\${OTEL_TOKEN}'}}\n`;
    const { manifest } = await compile('traced.yaml', { cwd, config, env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_TOKEN: 'secret-token' } });
    const templates = manifest.spec.templates as Record<string, any>[];
    const containers = templates.filter((t) => t.container);
    const envOf = (t: Record<string, any>) => Object.fromEntries(((t.container.env ?? []) as { name: string; value?: string }[]).map((e) => [e.name, e.value]));
    for (const t of containers) {
      const env = envOf(t);
      expect(env.RUNNABLE_TRACE_CONTEXT, t.name).toBe(t.container.command[1] === 'open-run' ? undefined : 'run-id');
      expect(Object.keys(env).filter((k) => k.startsWith('OTEL_')), t.name).toEqual([]);
      const pod = parse(t.inputs.artifacts[0].raw.data);
      expect(pod.telemetry).toEqual({ type: 'otlp', config: { endpoint: 'http://collector.monitoring:4318', headers: { authorization: '${OTEL_TOKEN}' } } });
    }
    expect(JSON.stringify(manifest)).not.toContain('secret-token');
    expect(JSON.stringify(manifest)).not.toContain('127.0.0.1:9');
  }, 300_000);

  test('pods load nothing of OpenTelemetry when no endpoint reaches them', async () => {
    const cwd = project();
    const hooks = join(cwd, 'no-otel-hooks.mjs');
    writeFileSync(hooks, "export async function resolve(s, c, next) { if (s.startsWith('@opentelemetry/')) throw new Error('OpenTelemetry loaded: ' + s); return next(s, c); }\n");
    writeFileSync(join(cwd, 'no-otel.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${hooks}`)});\n`);
    writeFileSync(join(cwd, 'small.yaml'), 'dag:\n  start_at: setup\n  steps:\n    setup: {type: task, command: "test/views/fixtures/functions.ts:chunks", returns: [items], next: each}\n    each:\n      type: map\n      iterate_on: items\n      iterate_as: item\n      next: success\n      branch:\n        start_at: work\n        steps:\n          work: {type: task, command: "test/views/fixtures/functions.ts:work", next: success}\n');
    const compiled = await compile('small.yaml', { cwd, params: false });
    const before = receiver.spans.length;
    // a module hook in every pod that fails any import of an OpenTelemetry package
    const run = await interpret(compiled, uniqueRunId('untraced-argo'), { env: cleanEnv({ NODE_OPTIONS: `--import=file://${join(cwd, 'no-otel.mjs')}` }) });
    expect(run.runLog?.status, run.pods.map((p) => `${p.template} ${p.phase} ${p.stderr.slice(-300)}`).join('\n')).toBe('SUCCESS');
    expect(receiver.spans.length).toBe(before);
  }, 300_000);
});
