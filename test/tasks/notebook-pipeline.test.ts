/**
 * Notebook and python tasks through the engine: inside map and loop branches (the item and the
 * index as parameters), secrets, pickled objects between python steps, Python reducers, and the
 * exit-2 message when Python or Jupyter is missing.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { branch, catalogFiles, cli, readCatalog, run, runIds, runYaml, step, values, workdir, writeFiles } from '../engine/_helpers.js';

const FIXTURES = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../fixtures');

/** Fixture notebooks, to be written under nbs/ in a run's working directory. */
const notebooks = (...names: string[]) =>
  Object.fromEntries(names.map((n) => [`nbs/${n}`, readFileSync(path.join(FIXTURES, 'notebooks', n), 'utf8')]));

/** A Python that has no site-packages, hence no Jupyter: `python3 -S`. */
function pythonWithoutJupyter(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'runnable-nopy-'));
  const file = path.join(dir, 'python3');
  writeFileSync(file, '#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n');
  chmodSync(file, 0o755);
  return file;
}

describe('notebooks in branches', () => {
  it('runs Python and TypeScript notebooks in every map iteration, with the item, secrets and a copy per iteration', async () => {
    const r = await runYaml(
      `
dag:
  start_at: fan
  steps:
    fan:
      type: map
      iterate_on: items
      iterate_as: item
      next: success
      branch:
        start_at: py
        steps:
          py:
            type: task
            command: nbs/square.ipynb
            secrets: [TOKEN]
            returns: [squared]
            next: ts
          ts:
            type: task
            command: nbs/square_ts.ipynb
            returns: [{name: cubed, kind: metric}]
            next: success
`,
      { ...notebooks('square.ipynb', 'square_ts.ipynb'), '.env': 'TOKEN=tok-123\n', 'config.yaml': 'secrets:\n  type: dotenv\n' },
      { env: { RUNNABLE_PRM_items: '[2, 3]' }, config: 'config.yaml' },
    );
    expect(r.status).toBe('SUCCESS');
    for (const i of [2, 3]) {
      const py = step(r.file, `fan.${i}.py`);
      expect(py.status).toBe('SUCCESS');
      expect(values(py.attempts[0]!.input_parameters)).toMatchObject({ item: i });
      expect(values(py.attempts[0]!.output_parameters)).toEqual({ squared: i * i });
      const ts = step(r.file, `fan.${i}.ts`);
      expect(values(ts.attempts[0]!.output_parameters)).toEqual({ cubed: i * i * i });
      expect(values(ts.attempts[0]!.user_defined_metrics)).toEqual({ cubed: i * i * i });
      expect(catalogFiles(r.cwd, r.runId)).toEqual(expect.arrayContaining([`nbs/square-fan.${i}.py_out.ipynb`, `nbs/square_ts-fan.${i}.ts_out.ipynb`]));
    }
    expect(values(r.file.parameters)).toMatchObject({ squared: [4, 9], cubed: [8, 27] });
    // the secret reached the kernel, and is masked in the step log
    const log = readCatalog(r.cwd, r.runId, '.logs/fan.2.py.attempt-1.log');
    expect(log).toContain('squared 2 -> 4 token ***');
    expect(log).not.toContain('tok-123');
  }, 120_000);
});

describe('notebooks and python tasks through the engine', () => {
  it('gives a notebook in a loop the index and the previous iteration’s returns', async () => {
    const r = await runYaml(
      `
dag:
  start_at: again
  steps:
    again:
      type: loop
      max_iterations: 5
      break_on: stop
      index_as: i
      next: success
      branch:
        start_at: nb
        steps:
          nb:
            type: task
            command: nbs/loop_step.ipynb
            returns: [total, stop]
            next: success
`,
      notebooks('loop_step.ipynb'),
      { env: { RUNNABLE_PRM_total: '100' } },
    );
    expect(r.status).toBe('SUCCESS');
    expect(Object.keys(step(r.file, 'again').branches)).toEqual(['again.0', 'again.1', 'again.2']);
    expect(values(branch(r.file, 'again.2').parameters)).toMatchObject({ total: 103, stop: true });
    expect(values(r.file.parameters)).toMatchObject({ total: 103, stop: true });
  }, 120_000);

  it('stores pickled objects in the catalog for the next python step, and reduces them with a Python reducer', async () => {
    const cwd = workdir();
    writeFiles(cwd, {
      'pkg/steps.py': `
from collections import Counter
def make(item):
    return Counter({item: 1}), item * 2
def combine(*values):
    # called once per returned parameter, with the iterations' values as arguments
    if all(isinstance(v, str) for v in values):
        return "".join(values)
    total = Counter()
    for c in values:
        total.update(c)
    return total
def check(counts, doubled):
    assert isinstance(counts, Counter), type(counts)
    assert dict(counts) == {"a": 1, "b": 1}, counts
    assert doubled == "aabb", doubled
    return sorted(counts)
`,
      'pipeline.yaml': `
dag:
  start_at: fan
  steps:
    fan:
      type: map
      iterate_on: items
      iterate_as: item
      reducer: pkg.steps.combine
      next: check
      branch:
        start_at: make
        steps:
          make:
            type: task
            command: pkg.steps.make
            returns: [{name: counts, kind: object}, doubled]
            next: success
    check:
      type: task
      command: pkg.steps.check
      returns: [keys]
      next: success
`,
    });
    const r = await run(cwd, { env: { RUNNABLE_PRM_items: '["a", "b"]', PYTHONDONTWRITEBYTECODE: '1' } });
    expect(r.status, JSON.stringify(r.file, null, 1).slice(0, 3000)).toBe('SUCCESS');
    const made = step(r.file, 'fan.a.make').attempts[0]!.output_parameters;
    expect(made['counts']).toEqual({ kind: 'object', value: '.objects/fan.a/counts.pickle' });
    expect(r.file.parameters['counts']).toEqual({ kind: 'object', value: '.objects/_root/counts.pickle' });
    expect(values(r.file.parameters)).toMatchObject({ doubled: 'aabb', keys: ['a', 'b'] });
    expect(catalogFiles(r.cwd, r.runId)).toEqual(expect.arrayContaining(['.objects/fan.a/counts.pickle', '.objects/_root/counts.pickle']));
  }, 120_000);

  it('fails a python step with the traceback tail in its message', async () => {
    const r = await runYaml(
      `
dag:
  start_at: boom
  steps:
    boom:
      type: task
      command: pkg.bad.explode
      next: success
`,
      { 'pkg/bad.py': 'def explode():\n    helper()\n\ndef helper():\n    raise RuntimeError("kaboom")\n' },
      { env: { PYTHONDONTWRITEBYTECODE: '1' } },
    );
    expect(r.status).toBe('FAIL');
    const message = step(r.file, 'boom').message;
    expect(message).toMatch(/^RuntimeError: kaboom\n--- stderr \(last lines\) ---\nTraceback \(most recent call last\):/);
    expect(message).toContain('in helper\n    raise RuntimeError("kaboom")');
  }, 60_000);

  it('exits 2 before running anything when the Jupyter packages are missing, saying what to install', async () => {
    const cwd = workdir({
      'pipeline.yaml': 'dag:\n  start_at: nb\n  steps:\n    nb:\n      type: task\n      command: nbs/params.ipynb\n      next: success\n',
      ...notebooks('params.ipynb'),
    });
    const res = await cli(['execute', 'pipeline.yaml'], cwd, { RUNNABLE_PYTHON: pythonWithoutJupyter() });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/step 'nb', field 'command': notebook tasks need Python 3 with Jupyter \(.* lacks nbclient, nbformat, jupyter_client\)/);
    expect(res.stderr).toContain('apt-get install python3-nbclient python3-nbformat python3-jupyter-client python3-ipykernel');
    expect(runIds(cwd)).toEqual([]);
    expect(existsSync(path.join(cwd, '.catalog'))).toBe(false);
  }, 60_000);

  it('exits 2 when a python task has no Python, and when a notebook names a kernel that is not installed', async () => {
    const cwd = workdir({
      'pipeline.yaml': 'dag:\n  start_at: py\n  steps:\n    py:\n      type: task\n      command: pkg.mod.fn\n      next: success\n',
    });
    const res = await cli(['execute', 'pipeline.yaml'], cwd, { RUNNABLE_PYTHON: '/nonexistent/python3' });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('python tasks need Python 3.8+ and none was usable (/nonexistent/python3 not found)');

    const nb = JSON.parse(readFileSync(path.join(FIXTURES, 'notebooks', 'params.ipynb'), 'utf8'));
    nb.metadata.kernelspec = { name: 'ir', language: 'R', display_name: 'R' };
    const cwd2 = workdir({
      'pipeline.yaml': 'dag:\n  start_at: nb\n  steps:\n    nb:\n      type: task\n      command: r.ipynb\n      next: success\n',
      'r.ipynb': JSON.stringify(nb),
    });
    const res2 = await cli(['execute', 'pipeline.yaml'], cwd2);
    expect(res2.code).toBe(2);
    expect(res2.stderr).toMatch(/the notebook's kernel 'ir' \(R\) is not installed \(installed: .*python3.*\): install it, or change the notebook's kernelspec/);
  }, 60_000);
});
