/**
 * SDK twins of YAML pipelines build the same model: same dag_hash (and the same graph), and
 * `toYAML()` round-trips to it. Checked here under vitest (whose transform the function location
 * must see through) and in a plain `node --import tsx/esm` process, as a user runs it.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dagHash } from '../../src/graph/hash.js';
import type { Graph } from '../../src/graph/model.js';
import { pipeline, task } from '../../src/sdk/index.js';
import { parsePipeline } from '../../src/yaml/load-pipeline.js';
import { counter } from '../fixtures/sdk/functions.js';
import { TWINS } from '../fixtures/sdk/twins.js';
import { HERE, tmpProject, yamlText } from './_helpers.js';

/** The model without documentation (`description` is not structure). */
function structure(graph: Graph): unknown {
  return JSON.parse(JSON.stringify(graph, (k, v: unknown) => (k === 'description' ? undefined : v)));
}

describe.each(Object.keys(TWINS))('%s', (file) => {
  const yaml = parsePipeline(yamlText(file), file);
  const sdk = TWINS[file]!();

  it('has the dag_hash of its YAML twin, and the same graph', () => {
    expect(dagHash(sdk.graph)).toBe(dagHash(yaml.graph));
    expect(structure(sdk.graph)).toEqual(structure(yaml.graph));
  });

  it('toYAML() loads back to the same dag_hash', () => {
    const text = sdk.toYAML();
    const back = parsePipeline(text, `${file} (from toYAML)`);
    expect(dagHash(back.graph)).toBe(dagHash(sdk.graph));
    expect(back.graph.description).toBe(sdk.graph.description);
  });

  it('is a core model pipeline that knows its source module', () => {
    expect(sdk.source).toEqual({ kind: 'module', path: 'twins.ts' });
  });
});

describe('function paths follow the working directory', () => {
  it('are written relative to the pipeline cwd, re-rooted by graphFor(cwd)', () => {
    const p = TWINS['map.yaml']!();
    const fan = p.graph.nodes.fan as Extract<Graph['nodes'][string], { type: 'map' }>;
    expect(fan.reducer).toBe('functions.ts:total');
    const other = tmpProject();
    const moved = p.graphFor(other).nodes.fan as typeof fan;
    expect(moved.reducer).toMatch(/^(\.\.\/)+.*test\/fixtures\/sdk\/functions\.ts:total$/);
    expect((moved.branch.nodes.square as { command: string }).command).toMatch(/test\/fixtures\/sdk\/functions\.ts:square$/);
    expect(p.graphFor(HERE)).toBe(p.graph);
  });

  it('default to process.cwd()', () => {
    const p = pipeline([task(counter, { returns: ['n', 'done'] })]);
    expect(p.cwd).toBe(process.cwd());
    expect((p.graph.nodes.counter as { command: string }).command).toBe('test/fixtures/sdk/functions.ts:counter');
  });
});

describe('outside vitest (node --import tsx/esm)', () => {
  it('builds the same hashes, locating functions in tsx-loaded modules', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx/esm', 'test/fixtures/sdk/print-twins.ts'], {
      encoding: 'utf8',
      cwd: join(HERE, '../../..'),
    });
    const { hashes, plainCommands, costMs } = JSON.parse(out) as { hashes: Record<string, string>; plainCommands: string[]; costMs: Record<string, number> };
    // native ESM, no transform: the anonymous default export is found by its location
    expect(plainCommands).toEqual(['plain.mjs', 'plain.mjs:arrowDefaultLike']);
    for (const file of Object.keys(TWINS)) expect(hashes[file], file).toBe(dagHash(parsePipeline(yamlText(file), file).graph));
    console.log(`locating a function under tsx: first ${costMs.first} ms, another of the same module ${costMs.sameModule} ms, again ${costMs.cached} ms`);
  });
});

describe('retry settings', () => {
  const yaml = `dag:
  start_at: flaky
  steps:
    flaky:
      type: task
      command: test/fixtures/sdk/functions.ts:counter
      returns: [n, done]
      max_attempts: 3
      retry_delay_seconds: 2
      retry_backoff_factor: 3
      next: success
`;

  it('retryDelaySeconds and retryBackoffFactor are the YAML fields (same graph and dag_hash, both ways)', () => {
    const fromYaml = parsePipeline(yaml, 'retry.yaml');
    const sdk = pipeline([task(counter, { name: 'flaky', returns: ['n', 'done'], maxAttempts: 3, retryDelaySeconds: 2, retryBackoffFactor: 3 })]);
    expect(structure(sdk.graph)).toEqual(structure(fromYaml.graph));
    expect(dagHash(sdk.graph)).toBe(dagHash(fromYaml.graph));
    expect(sdk.toYAML()).toMatch(/retry_delay_seconds: 2\n\s+retry_backoff_factor: 3/);
    // the defaults change nothing, as in YAML
    const plain = pipeline([task(counter, { name: 'flaky', returns: ['n', 'done'], maxAttempts: 3, retryDelaySeconds: 0, retryBackoffFactor: 1 })]);
    expect(plain.graph.nodes.flaky).not.toHaveProperty('retryDelaySeconds');
    expect(plain.graph.nodes.flaky).not.toHaveProperty('retryBackoffFactor');
  });

  it('refuses what the YAML schema refuses, naming the step and field', () => {
    expect(() => task(counter, { retryDelaySeconds: -1 })).toThrow(/retryDelaySeconds must be a number of at least 0, got -1/);
    expect(() => task(counter, { retryBackoffFactor: 0.5 })).toThrow(/retryBackoffFactor must be a number of at least 1/);
  });
});
