/**
 * OpenTelemetry: a local OTLP/HTTP receiver on loopback gets the trace of a nested run (a map
 * in a parallel in a loop) run under `emulate`, where every step runs in a child process of
 * its own: one trace, every span's parent in it, attempts from the children's processes under
 * their steps' spans.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProject, runCli } from './_helpers.js';
import { attr, startOtlpReceiver, type OtlpReceiver, type OtlpSpan } from './_otlp.js';

const project = makeProject();
let receiver: OtlpReceiver;
let spans: OtlpSpan[];
let endpoint = '';

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  spans = receiver.spans;
  endpoint = receiver.endpoint;
});
afterAll(async () => {
  await receiver.close();
  project.cleanup();
});

describe('OpenTelemetry trace of a nested run under emulate', () => {
  it('arrives as one trace with correctly parented spans, from every process', { timeout: 600_000 }, async () => {
    writeFileSync(join(project.cwd, 'emulate.yaml'), 'pipeline-executor:\n  type: emulate\nrun-log-store:\n  type: chunked-fs\n');
    const run = await runCli(project.cwd, ['execute', 'test/views/fixtures/nested.yaml', '-c', 'emulate.yaml', '--run-id', 'traced-1'], { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }, 600_000);
    expect(run.code, run.stderr.slice(-3000)).toBe(0);

    const traces = new Set(spans.map((s) => s.traceId));
    expect(traces.size).toBe(1);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const named = (name: string) => spans.filter((s) => s.name === name);
    const root = named('run traced-1');
    expect(root).toHaveLength(1);
    expect(root[0]!.parentSpanId ?? '').toBe('');
    // every other span's parent is in the trace
    for (const s of spans) if (s !== root[0]) expect(byId.has(s.parentSpanId ?? ''), `parent of ${s.name}`).toBe(true);
    const parentName = (name: string) => byId.get(named(name)[0]!.parentSpanId!)!.name;

    // the nesting, by internal name: loop > round > parallel > branch > map > item > task
    expect(parentName('step rounds')).toBe('run traced-1');
    expect(parentName('branch rounds.1')).toBe('step rounds');
    expect(parentName('step rounds.1.both')).toBe('branch rounds.1');
    expect(parentName('branch rounds.1.both.fan')).toBe('step rounds.1.both');
    expect(parentName('step rounds.1.both.fan.each')).toBe('branch rounds.1.both.fan');
    expect(parentName('branch rounds.1.both.fan.each.3')).toBe('step rounds.1.both.fan.each');
    expect(parentName('step rounds.1.both.fan.each.3.work')).toBe('branch rounds.1.both.fan.each.3');

    // six map items over two rounds; each task's attempt span comes from its own child process
    const works = spans.filter((s) => /^step rounds\.\d\.both\.fan\.each\.\d\.work$/.test(s.name));
    expect(works).toHaveLength(6);
    const attempts = spans.filter((s) => s.name === 'attempt 1');
    const taskSteps = spans.filter((s) => s.name.startsWith('step ') && attr(s, 'runnable.step_type') === 'task');
    expect(taskSteps.length).toBe(6 + 2 * 3); // work x6, setup, score, check per round
    for (const step of taskSteps) {
      const mine = attempts.filter((a) => a.parentSpanId === step.spanId);
      expect(mine, step.name).toHaveLength(1);
      expect(mine[0]!.pid).not.toBe(root[0]!.pid);
      expect(attr(mine[0]!, 'runnable.status')).toBe('SUCCESS');
    }
    const work = attempts.find((a) => attr(a, 'runnable.step') === 'rounds.0.both.fan.each.2.work')!;
    expect(attr(work, 'runnable.input.item')).toBe('2');
    expect(attr(work, 'runnable.output.doubled')).toBe('4');
    expect(attr(root[0]!, 'runnable.status')).toBe('SUCCESS');
  });

  it('a job under the emulate job executor: its task\'s attempts come from the child process, under the job step', { timeout: 120_000 }, async () => {
    writeFileSync(join(project.cwd, 'job.yaml'), "job:\n  type: task\n  command_type: shell\n  max_attempts: 2\n  command: 'test -e again || { touch again; exit 3; }'\n");
    writeFileSync(join(project.cwd, 'job-emulate.yaml'), 'job-executor:\n  type: emulate\n');
    const run = await runCli(project.cwd, ['execute-job', 'job.yaml', '-c', 'job-emulate.yaml', '--run-id', 'traced-job'], { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }, 120_000);
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    const root = spans.find((s) => s.name === 'run traced-job')!;
    const mine = spans.filter((s) => s.traceId === root.traceId);
    const step = mine.find((s) => s.name === 'step job')!;
    expect(step.parentSpanId).toBe(root.spanId);
    const attempts = mine.filter((s) => s.name.startsWith('attempt '));
    expect(attempts.map((a) => a.name).sort()).toEqual(['attempt 1', 'attempt 2']);
    for (const a of attempts) {
      expect(a.parentSpanId).toBe(step.spanId);
      expect(a.pid).not.toBe(root.pid); // from the job's own process
    }
    expect(attr(attempts.find((a) => a.name === 'attempt 1')!, 'runnable.status')).toBe('FAIL');
    expect(attr(attempts.find((a) => a.name === 'attempt 2')!, 'runnable.status')).toBe('SUCCESS');
  });

  it('under retry, a task whose attempt numbers go on from the run before keeps one step span for all its new attempts', { timeout: 120_000 }, async () => {
    // attempts 1 and 2 fail (the first run fails); under retry attempt 3 fails, attempt 4 succeeds
    writeFileSync(join(project.cwd, 'flaky.yaml'), "dag:\n  start_at: flaky\n  steps:\n    flaky:\n      type: task\n      command_type: shell\n      max_attempts: 2\n      command: '[ \"$RUNNABLE_STEP_ATTEMPT\" -ge 4 ]'\n      next: success\n");
    const first = await runCli(project.cwd, ['execute', 'flaky.yaml', '--run-id', 'traced-flaky'], { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });
    expect(first.code).toBe(1);
    const before = spans.length;
    const again = await runCli(project.cwd, ['retry', 'traced-flaky'], { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });
    expect(again.code, again.stderr.slice(-3000)).toBe(0);
    const mine = spans.slice(before);
    const steps = mine.filter((s) => s.name === 'step flaky');
    expect(steps).toHaveLength(1);
    expect(attr(steps[0]!, 'runnable.status')).toBe('SUCCESS');
    const attempts = mine.filter((s) => s.name.startsWith('attempt '));
    expect(attempts.map((a) => a.name).sort()).toEqual(['attempt 3', 'attempt 4']);
    for (const a of attempts) expect(a.parentSpanId).toBe(steps[0]!.spanId);
  });

  it('sends nothing and loads no OpenTelemetry when no endpoint is set', async () => {
    const before = spans.length;
    const hooks = join(project.cwd, 'no-otel-hooks.mjs');
    writeFileSync(hooks, "export async function resolve(s, c, next) { if (s.startsWith('@opentelemetry/')) throw new Error('OpenTelemetry loaded: ' + s); return next(s, c); }\n");
    const register = join(project.cwd, 'no-otel.mjs');
    writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${hooks}`)});\n`);
    const hookUrl = `file://${register}`;
    const run = await runCli(project.cwd, ['execute', 'test/views/fixtures/nested.yaml', '--run-id', 'untraced-1'], {
      // a module hook that fails any import of an OpenTelemetry package
      NODE_OPTIONS: `--import=${hookUrl}`,
    });
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    expect(spans.length).toBe(before);
  });
});
