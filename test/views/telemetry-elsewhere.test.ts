/**
 * OpenTelemetry across process boundaries other than a child process: under `local-container`
 * (each step in a real podman container, host network) and `slurm` (each step a job of the real
 * single-node cluster), the steps' processes join the driver's trace (W3C TRACEPARENT) and send
 * their attempt spans to the same OTLP/HTTP receiver on loopback.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGE, ensureImage } from '../executors/_container.js';
import { makeProject, runCli } from './_helpers.js';
import { attr, startOtlpReceiver, type OtlpReceiver } from './_otlp.js';

const project = makeProject();
let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver.close();
  project.cleanup();
});

// a TS step, a two-item map of TS steps and a shell step
const PIPELINE = `dag:
  start_at: setup
  steps:
    setup:
      type: task
      command: test/views/fixtures/functions.ts:make_items
      returns: [items]
      next: each
    each:
      type: map
      iterate_on: items
      iterate_as: item
      next: tally
      branch:
        start_at: work
        steps:
          work:
            type: task
            command: test/views/fixtures/functions.ts:work
            returns: [doubled]
            next: success
    tally:
      type: task
      command_type: shell
      command: echo tallied
      next: success
`;

const CONFIGS: [string, string][] = [
  ['local-container', `pipeline-executor: {type: local-container, config: {docker_image: ${IMAGE}}}\nrun-log-store: {type: chunked-fs}\n`],
  ['slurm', 'pipeline-executor: {type: slurm, config: {poll_interval: 0.25}}\nrun-log-store: {type: chunked-fs}\n'],
];

describe.each(CONFIGS)('a traced run under %s', (name, config) => {
  it("arrives as one trace: every task's attempt span under its step's span, sent from the step's own process", { timeout: 600_000 }, async () => {
    if (name === 'local-container') await ensureImage();
    writeFileSync(join(project.cwd, 'traced.yaml'), PIPELINE);
    writeFileSync(join(project.cwd, `${name}.yaml`), config);
    const runId = `traced-${name}`;
    const run = await runCli(project.cwd, ['execute', 'traced.yaml', '-c', `${name}.yaml`, '--run-id', runId], { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, RUNNABLE_PRM_n: '2' }, 600_000);
    expect(run.code, run.stderr.slice(-3000)).toBe(0);

    const root = receiver.spans.filter((s) => s.name === `run ${runId}`);
    expect(root).toHaveLength(1);
    const spans = receiver.spans.filter((s) => s.traceId === root[0]!.traceId);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    for (const s of spans) if (s !== root[0]) expect(byId.has(s.parentSpanId ?? ''), `parent of ${s.name}`).toBe(true);

    const taskSteps = spans.filter((s) => s.name.startsWith('step ') && attr(s, 'runnable.step_type') === 'task');
    expect(taskSteps.map((s) => s.name).sort()).toEqual(['step each.0.work', 'step each.1.work', 'step setup', 'step tally']);
    for (const step of taskSteps) {
      const attempts = spans.filter((a) => a.name === 'attempt 1' && a.parentSpanId === step.spanId);
      expect(attempts, step.name).toHaveLength(1);
      expect(attr(attempts[0]!, 'runnable.status')).toBe('SUCCESS');
      // not the driver: the step's process in the container or the Slurm job sent it
      expect(attempts[0]!.pid).not.toBe(root[0]!.pid);
    }
    // map items nest as under every executor (Slurm queues a branch's jobs before it starts: still under it)
    const parentName = (name: string) => byId.get(spans.find((s) => s.name === name)!.parentSpanId!)!.name;
    expect(parentName('step each.1.work')).toBe('branch each.1');
    expect(parentName('branch each.1')).toBe('step each');
    expect(parentName('step each')).toBe(`run ${runId}`);
    const work = spans.find((a) => a.name === 'attempt 1' && attr(a, 'runnable.step') === 'each.1.work')!;
    expect(attr(work, 'runnable.output.doubled')).toBe('2');
  });
});
