/**
 * `loadPipelineModule`: what `runnable execute pipeline.ts` loads. The module and the SDK it
 * imports are loaded through tsx (the task loader's registration), not through vitest.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunnableError } from '../../src/errors.js';
import { dagHash } from '../../src/graph/hash.js';
import { executePipeline } from '../../src/runner/execute.js';
import { isPipelineModulePath, loadPipelineModule } from '../../src/sdk/index.js';
import { parsePipeline } from '../../src/yaml/load-pipeline.js';
import { cleanEnv, HERE, tmpProject, values, yamlText } from './_helpers.js';

async function loadError(file: string): Promise<RunnableError> {
  const e = await loadPipelineModule(file, HERE).catch((err: unknown) => err);
  expect(e).toBeInstanceOf(RunnableError);
  return e as RunnableError;
}

describe('loadPipelineModule', () => {
  it('takes a default-exported pipeline, as the model of its YAML twin, sourced from the module', async () => {
    const model = await loadPipelineModule('module-pipeline.ts', HERE);
    expect(dagHash(model.graph)).toBe(dagHash(parsePipeline(yamlText('sequential.yaml'), 'sequential.yaml').graph));
    expect(model.source).toEqual({ kind: 'module', path: 'module-pipeline.ts' });
    expect(Object.keys(model)).toEqual(['graph', 'source']);
  });

  it('calls a default-exported (async) function returning one', async () => {
    const model = await loadPipelineModule('module-factory.ts', HERE);
    expect(model.graph.startAt).toBe('make_items');
    expect(model.graph.nodes.announce).toMatchObject({ type: 'task', command: 'module-factory.ts:announce', next: 'success' });
  });

  it('locates a function of the module being evaluated, and the result runs', async () => {
    const cwd = tmpProject();
    const model = await loadPipelineModule(join(HERE, 'module-self.ts'), cwd);
    const hello = model.graph.nodes.hello as { command: string };
    expect(hello.command).toMatch(/^(\.\.\/)+.*test\/fixtures\/sdk\/module-self\.ts:hello$/);
    expect(model.source.path).toBe(join(HERE, 'module-self.ts'));
    const run = await executePipeline({ pipeline: model, cwd, env: cleanEnv() });
    expect(run.status).toBe('SUCCESS');
    expect(values(run.runLog.parameters)).toEqual({ greeting: 'json:"hello from the pipeline module"' });
  });

  it('rejects a default export that is not a pipeline', async () => {
    const e = await loadError('module-not-pipeline.ts');
    expect(e.code).toBe('E_FILE');
    expect(e.format()).toBe(
      'module-not-pipeline.ts: the default export is a number, not a pipeline: `export default pipeline([...])` or a function returning one',
    );
  });

  it('rejects a default-exported function that returns something else', async () => {
    const e = await loadError('module-factory-bad.ts');
    expect(e.message).toMatch(/^the default export \(function 'build'\) returned a string, not a pipeline/);
  });

  it('rejects a module without a default export, listing its exports', async () => {
    const e = await loadError('module-no-default.ts');
    expect(e.format()).toMatch(/^module-no-default\.ts: the module has no default export \(exports: helper, steps\)/);
  });

  it("reports the pipeline's own build error against the module", async () => {
    const e = await loadError('module-bad-pipeline.ts');
    expect(e.code).toBe('E_GRAPH');
    expect(e.format()).toMatch(/^module-bad-pipeline\.ts: step 'same': duplicate step name 'same'/);
  });

  it('reports a missing file as E_FILE', async () => {
    const e = await loadError('nowhere.ts');
    expect(e.code).toBe('E_FILE');
    expect(e.format()).toBe('nowhere.ts: cannot read pipeline: no such file');
  });
});

it('isPipelineModulePath', () => {
  expect(['p.ts', 'p.mts', 'dir/p.js', 'p.mjs'].map(isPipelineModulePath)).toEqual([true, true, true, true]);
  expect(['p.yaml', 'p.yml', 'p.cjs', 'p.tsx', 'p.ts.bak'].map(isPipelineModulePath)).toEqual([false, false, false, false, false]);
});
