import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { globSync } from 'tinyglobby';
import { describe, expect, it } from 'vitest';
import { RunnableError } from '../../src/errors.js';
import type { ConditionalNode, Graph, LoopNode, MapNode, ParallelNode, TaskNode } from '../../src/graph/model.js';
import { findNode } from '../../src/graph/names.js';
import { loadJobFile, loadPipelineFile, parseJob, parsePipeline } from '../../src/yaml/load-pipeline.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');

const y = (s: string) => s.replace(/^\n/, '');
const fail = (fn: () => unknown): RunnableError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof RunnableError) return e;
    throw e;
  }
  throw new Error('expected a RunnableError');
};

describe('parsePipeline: valid pipelines', () => {
  it('sequential, with implicit success and fail nodes and defaults', () => {
    const p = parsePipeline(
      y(`
dag:
  description: two steps
  start_at: first
  steps:
    first:
      type: task
      command: src/functions.ts:prepare
      returns: [rows, {name: model, kind: object}, {name: accuracy, kind: metric}]
      catalog: {get: [data/in.csv], put: ["out/*.parquet"]}
      next: second
      on_failure: cleanup
      max_attempts: 3
      secrets: [API_TOKEN]
      overrides: {slurm: big}
    second:
      type: task
      command_type: shell
      command: echo hi
      next: success
    cleanup:
      type: stub
      next: fail
`),
      'p.yaml',
    );
    expect(p.source).toEqual({ kind: 'yaml', path: 'p.yaml' });
    expect(p.graph.internalName).toBe('');
    expect(p.graph.description).toBe('two steps');
    expect(Object.keys(p.graph.nodes)).toEqual(['first', 'second', 'cleanup', 'success', 'fail']);
    expect(p.graph.nodes.success).toEqual({ type: 'success', name: 'success', internalName: 'success', overrides: {} });
    expect(p.graph.nodes.first).toEqual({
      type: 'task',
      name: 'first',
      internalName: 'first',
      next: 'second',
      onFailure: 'cleanup',
      overrides: { slurm: 'big' },
      commandType: 'typescript',
      command: 'src/functions.ts:prepare',
      returns: [
        { name: 'rows', kind: 'json' },
        { name: 'model', kind: 'object' },
        { name: 'accuracy', kind: 'metric' },
      ],
      catalog: { get: ['data/in.csv'], put: ['out/*.parquet'], storeCopy: true },
      maxAttempts: 3,
      secrets: ['API_TOKEN'],
      options: {},
    } satisfies TaskNode);
    const second = p.graph.nodes.second as TaskNode;
    expect(second).toMatchObject({ commandType: 'shell', maxAttempts: 1, returns: [], secrets: [], overrides: {} });
    expect(second.catalog).toBeUndefined();
    expect(second.onFailure).toBeUndefined();
  });

  it('infers command_type', () => {
    const p = parsePipeline(
      y(`
dag:
  start_at: a
  steps:
    a: {type: task, command: src/a.ts, next: b}
    b: {type: task, command: "lib/b.mjs:run", next: c}
    c: {type: task, command: notebooks/c.ipynb, next: d}
    d: {type: task, command: examples.common.functions.hello, next: e}
    e: {type: task, command: ./x.mts:$fn, next: success}
`),
      'p.yaml',
    );
    const types = Object.values(p.graph.nodes)
      .filter((n): n is TaskNode => n.type === 'task')
      .map((n) => n.commandType);
    expect(types).toEqual(['typescript', 'typescript', 'notebook', 'python', 'typescript']);
  });

  it('does not infer typescript for a shell command mentioning a .js file', () => {
    const e = fail(() => parsePipeline('dag:\n  start_at: a\n  steps:\n    a: {type: task, command: node x.js, next: success}\n', 'p.yaml'));
    expect(e.code).toBe('E_SCHEMA');
    expect(e.message).toContain("command_type: shell");
  });

  it('reuses an anchored branch, and merge keys work', () => {
    const p = parsePipeline(
      y(`
defaults: &task_defaults
  type: task
  max_attempts: 2
branch: &branch
  start_at: work
  steps:
    work:
      <<: *task_defaults
      command: src/work.ts:work
      next: success
dag:
  start_at: p
  steps:
    p:
      type: parallel
      next: success
      branches:
        one: *branch
        two: *branch
`),
      'p.yaml',
    );
    const par = p.graph.nodes.p as ParallelNode;
    expect(Object.keys(par.branches)).toEqual(['one', 'two']);
    expect(par.branches.one!.internalName).toBe('p.one');
    expect(par.branches.two!.nodes.work).toMatchObject({ internalName: 'p.two.work', maxAttempts: 2, commandType: 'typescript' });
    expect(par.branches.two!.nodes.success!.internalName).toBe('p.two.success');
  });

  it('nests three deep: parallel > map > loop > conditional', () => {
    const p = parsePipeline(
      y(`
dag:
  start_at: par
  steps:
    par:
      type: parallel
      next: success
      branches:
        b1:
          start_at: m
          steps:
            m:
              type: map
              iterate_on: chunks
              iterate_as: chunk
              next: success
              branch:
                start_at: l
                steps:
                  l:
                    type: loop
                    max_iterations: 3
                    break_on: done
                    index_as: i
                    next: success
                    branch:
                      start_at: c
                      steps:
                        c:
                          type: conditional
                          parameter: mode
                          next: success
                          branches:
                            fast:
                              start_at: t
                              steps:
                                t: {type: task, command: src/t.ts:t, next: success}
`),
      'p.yaml',
    );
    const deep = 'par.b1.m.map_variable_placeholder.l.loop_variable_placeholder.c.fast.t';
    const { node, graph } = findNode(p.graph, deep);
    expect(node.internalName).toBe(deep);
    expect(graph.internalName).toBe('par.b1.m.map_variable_placeholder.l.loop_variable_placeholder.c.fast');
    expect(Object.keys(graph.nodes)).toEqual(['t', 'success', 'fail']);
  });

  it('conditional with a default branch', () => {
    const p = parsePipeline(
      y(`
dag:
  start_at: c
  steps:
    c:
      type: conditional
      parameter: mode
      next: success
      branches:
        fast: {start_at: x, steps: {x: {type: stub, next: success}}}
        "2": {start_at: x, steps: {x: {type: stub, next: success}}}
      default: {start_at: y, steps: {y: {type: stub, next: success}}}
`),
      'p.yaml',
    );
    const c = p.graph.nodes.c as ConditionalNode;
    expect(c.parameter).toBe('mode');
    expect(Object.keys(c.branches).sort()).toEqual(['2', 'fast']);
    expect(c.branches.fast!.internalName).toBe('c.fast');
    expect(c.default!.internalName).toBe('c.default');
    expect(c.default!.nodes.y!.internalName).toBe('c.default.y');
  });

  it('loop', () => {
    const p = parsePipeline(
      y(`
dag:
  start_at: l
  steps:
    l:
      type: loop
      max_iterations: 5
      break_on: converged
      index_as: iteration
      next: success
      branch:
        start_at: step
        steps:
          step: {type: task, command: src/f.ts:step, returns: [converged], next: success}
`),
      'p.yaml',
    );
    const l = p.graph.nodes.l as LoopNode;
    expect(l).toMatchObject({ maxIterations: 5, breakOn: 'converged', indexAs: 'iteration' });
    expect(l.branch.internalName).toBe('l.loop_variable_placeholder');
    expect(l.branch.nodes.step!.internalName).toBe('l.loop_variable_placeholder.step');
  });

  it('map with a reducer', () => {
    const p = parsePipeline(
      y(`
dag:
  start_at: m
  steps:
    m:
      type: map
      iterate_on: chunks
      iterate_as: chunk
      reducer: src/reduce.ts:max
      next: success
      overrides: {argo: sequential}
      branch:
        start_at: work
        steps:
          work: {type: task, command: src/f.ts:work, returns: [processed], next: success}
`),
      'p.yaml',
    );
    const m = p.graph.nodes.m as MapNode;
    expect(m).toMatchObject({ iterateOn: 'chunks', iterateAs: 'chunk', reducer: 'src/reduce.ts:max', overrides: { argo: 'sequential' } });
    expect(m.branch.internalName).toBe('m.map_variable_placeholder');
  });

  it('stub accepts and ignores any other field', () => {
    const p = parsePipeline('dag:\n  start_at: a\n  steps:\n    a: {type: stub, what: is this?, It: does not matter, next: success}\n', 'p.yaml');
    expect(p.graph.nodes.a).toEqual({ type: 'stub', name: 'a', internalName: 'a', next: 'success', overrides: {} });
  });

  it('keeps runnable notebook options, and user-written success/fail nodes', () => {
    const p = parsePipeline(
      y(`
dag:
  start_at: nb
  steps:
    nb:
      type: task
      command_type: notebook
      command: nb.ipynb
      optional_ploomber_args: {log_output: true}
      next: success
    success: {type: success}
    fail: {type: fail}
`),
      'p.yaml',
    );
    expect((p.graph.nodes.nb as TaskNode).options).toEqual({ optional_ploomber_args: { log_output: true } });
    expect(Object.keys(p.graph.nodes)).toEqual(['nb', 'success', 'fail']);
  });

  it('validates SDK-style branches of every composite (error inside a loop branch)', () => {
    const e = fail(() =>
      parsePipeline(
        y(`
dag:
  start_at: l
  steps:
    l:
      type: loop
      max_iterations: 2
      break_on: done
      index_as: i
      next: success
      branch:
        start_at: a
        steps:
          a: {type: stub, next: a}
`),
        'p.yaml',
      ),
    );
    expect(e.code).toBe('E_GRAPH');
    expect(e.where).toEqual({ file: 'p.yaml', step: 'l.loop_variable_placeholder.a', field: 'next', line: 13 });
    expect(e.format()).toBe("p.yaml:13: step 'l.loop_variable_placeholder.a', field 'next': cycle: a -> a (next/on_failure must not lead back)");
  });
});

describe('runnable example pipelines', () => {
  const files = globSync('runnable-examples/**/*.yaml', { cwd: path.join(here, 'fixtures') }).sort();
  it('are all present', () => expect(files.length).toBeGreaterThanOrEqual(20));
  it.each(files)('%s loads and validates', async (f) => {
    const p = await loadPipelineFile(path.join('test/yaml/fixtures', f), repo);
    expect(p.source.path).toBe(path.join('test/yaml/fixtures', f));
    const walk = (g: Graph): void => {
      expect(g.nodes.success?.type).toBe('success');
      expect(g.nodes.fail?.type).toBe('fail');
      for (const n of Object.values(g.nodes)) {
        if (n.type === 'parallel' || n.type === 'conditional') Object.values(n.branches).forEach(walk);
        if (n.type === 'map' || n.type === 'loop') walk(n.branch);
      }
    };
    walk(p.graph);
  });
});

describe('jobs', () => {
  it('parses a top-level job task', () => {
    const j = parseJob('job:\n  command: src/train.ts:train\n  returns: [score]\n  catalog: {put: [model.bin]}\n', 'job.yaml');
    expect(j.source).toEqual({ kind: 'yaml', path: 'job.yaml' });
    expect(j.task).toMatchObject({
      type: 'task',
      name: 'job',
      internalName: 'job',
      commandType: 'typescript',
      returns: [{ name: 'score', kind: 'json' }],
      catalog: { get: [], put: ['model.bin'], storeCopy: true },
    });
    expect(j.task.next).toBeUndefined();
  });

  it('rejects next in a job, and a pipeline given as a job', async () => {
    const e = fail(() => parseJob('job:\n  command: src/a.ts\n  next: success\n', 'job.yaml'));
    expect(e.where).toMatchObject({ step: 'job', field: 'next', line: 3 });
    const e2 = await loadJobFile('test/fixtures/invalid/_valid.yaml', repo).catch((x: RunnableError) => x);
    expect(e2).toBeInstanceOf(RunnableError);
    expect((e2 as RunnableError).message).toContain("run it with 'runnable execute'");
  });
});

describe('loadPipelineFile', () => {
  it('reports a missing file as E_FILE, relative to cwd', async () => {
    const e = await loadPipelineFile('nope/missing.yaml', repo).catch((x: RunnableError) => x);
    expect(e).toBeInstanceOf(RunnableError);
    expect((e as RunnableError).code).toBe('E_FILE');
    expect((e as RunnableError).format()).toBe('nope/missing.yaml: cannot read pipeline: no such file');
  });

  it('shows files outside cwd as absolute paths', async () => {
    const abs = path.join(repo, 'test/fixtures/invalid/cycle.yaml');
    const e = await loadPipelineFile(abs, path.join(repo, 'src')).catch((x: RunnableError) => x);
    expect((e as RunnableError).where.file).toBe(abs);
  });
});

describe('empty optional fields', () => {
  it('accepts null where runnable declares a field Optional', () => {
    const p = parsePipeline(
      y(`
dag:
  description:
  start_at: m
  steps:
    m:
      type: map
      iterate_on: xs
      iterate_as: x
      reducer:
      next: success
      branch:
        start_at: t
        steps:
          t: {type: task, command: src/t.ts, catalog: null, next: success}
`),
      'p.yaml',
    );
    const m = p.graph.nodes.m as MapNode;
    expect(m.reducer).toBeUndefined();
    expect(p.graph.description).toBeUndefined();
    expect((m.branch.nodes.t as TaskNode).catalog).toBeUndefined();
  });
});
