/** `cache` in the pipeline YAML, the JSON Schema, the SDK and the library options. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RunnableError } from '../../src/errors.js';
import type { TaskNode } from '../../src/graph/model.js';
import { pipeline, shell } from '../../src/sdk/index.js';
import { graphToYAML } from '../../src/sdk/to-yaml.js';
import { pipelineJsonSchema } from '../../src/yaml/json-schema.js';
import { parseJob, parsePipeline } from '../../src/yaml/load-pipeline.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const yaml = (extra: string) => `
dag:
  start_at: a
  steps:
    a:
      type: task
      command_type: shell
      command: echo hi
${extra}      next: success
`;

const taskOf = (text: string, name = 'a') => parsePipeline(text, 'p.yaml').graph.nodes[name] as TaskNode;

describe('cache: in the YAML', () => {
  it('true and false reach the model; absent stays absent (the config decides)', () => {
    expect(taskOf(yaml('      cache: true\n')).cache).toBe(true);
    expect(taskOf(yaml('      cache: false\n')).cache).toBe(false);
    expect('cache' in taskOf(yaml(''))).toBe(false);
  });

  it('anything but a boolean is a schema error naming the field', () => {
    let err: unknown;
    try {
      taskOf(yaml('      cache: sometimes\n'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RunnableError);
    expect((err as RunnableError).code).toBe('E_SCHEMA');
    expect((err as RunnableError).where).toMatchObject({ step: 'a', field: 'cache' });
  });

  it('jobs always run: a job task does not take cache', () => {
    expect(() => parseJob('job:\n  command_type: shell\n  command: echo hi\n  cache: true\n', 'j.yaml')).toThrow(RunnableError);
  });

  it('is in the JSON Schema (and in schemas/pipeline.schema.json, regenerated)', () => {
    const text = JSON.stringify(pipelineJsonSchema());
    expect(text).toContain('"cache":{"description":"true: skip the task when');
    const file = JSON.parse(readFileSync(new URL('../../schemas/pipeline.schema.json', import.meta.url), 'utf8'));
    expect(file).toEqual(JSON.parse(JSON.stringify(pipelineJsonSchema())));
  });
});

describe('cache: in the SDK', () => {
  it('task options take cache; the model and the YAML carry it', () => {
    const p = pipeline([shell('echo a', { name: 'a', cache: true }), shell('echo b', { name: 'b', cache: false }), shell('echo c', { name: 'c' })]);
    const nodes = p.graph.nodes as Record<string, TaskNode>;
    expect([nodes.a!.cache, nodes.b!.cache, 'cache' in nodes.c!]).toEqual([true, false, false]);
    const text = graphToYAML(p.graph);
    expect(taskOf(text, 'a').cache).toBe(true);
    expect(taskOf(text, 'b').cache).toBe(false);
    expect('cache' in taskOf(text, 'c')).toBe(false);
  });

  it('a non-boolean cache option is refused when the step is built', () => {
    expect(() => shell('echo a', { name: 'a', cache: 'yes' as unknown as boolean })).toThrow(/cache must be true or false/);
  });

  it('Pipeline.execute({noCache}) runs cached steps anyway and records it', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'runnable-cache-sdk-'));
    dirs.push(cwd);
    writeFileSync(join(cwd, 'package.json'), '{"type":"module"}');
    const p = pipeline([shell('echo x >> ran.txt', { name: 'a', cache: true })]);
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RUNNABLE_')));
    await p.execute({ cwd, env });
    const hit = await p.execute({ cwd, env });
    expect(hit.steps.a!.attempts[0]!.cache?.status).toBe('hit');
    const bypassed = await p.execute({ cwd, env, noCache: true });
    expect(bypassed.run_config.no_cache).toBe(true);
    expect(bypassed.steps.a!.attempts[0]!.cache).toMatchObject({ status: 'miss', reason: 'disabled by --no-cache' });
    expect(readFileSync(join(cwd, 'ran.txt'), 'utf8')).toBe('x\nx\n');
  }, 300_000);
});
