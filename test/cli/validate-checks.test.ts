/**
 * `runnable validate` finds what a run would fail on without running a step, through the built
 * CLI in temp folders: SDK modules load as `execute` loads them; each TS task's function is
 * loaded and its parameters followed from the parameters file, RUNNABLE_PRM_* and earlier
 * steps' returns; each Python module is found (none of its code run) and its function read from
 * the source; each notebook exists. Every problem is one line naming file, step and field, then
 * exit 2. `execute` makes the same checks and refuses before any step runs.
 * Needs `npm run build` first (npm test does it).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, REPO, runIds, workdir } from '../engine/_helpers.js';

const SDK = JSON.stringify(join(REPO, 'dist', 'index.js'));

const STEPS_TS = `
export function prepare() { return [1, 2, 3]; }
export function train(rows: number[], lr: number, epochs = 3) { return rows.length * lr * epochs; }
export function report({ score, label = 'run' }: { score: number; label?: string }) { console.log(label, score); }
export function each(item: number) { return item * 2; }
export const notAFunction = 42;
`;

const PY = `
import argparse

def double(x, factor=2):
    return x * factor

def everything(args: argparse.Namespace):
    return None
`;

/** `dag:` with these steps (name -> step body), chained in order, the last one to success. */
function dag(steps: Record<string, string>): string {
  const names = Object.keys(steps);
  const body = names.map((n, i) => `    ${n}:\n${steps[n]!.trim().split('\n').map((l) => `      ${l}`).join('\n')}\n      next: ${names[i + 1] ?? 'success'}`);
  return `dag:\n  start_at: ${names[0]}\n  steps:\n${body.join('\n')}\n`;
}

const task = (command: string, extra = '') => `type: task\ncommand: ${command}${extra ? `\n${extra}` : ''}`;

const lines = (stderr: string) => stderr.trim().split('\n').filter(Boolean);

describe.concurrent('runnable validate', () => {
  it('takes an SDK module as execute does (it used to say "invalid YAML"), and a broken one is one line naming it', async () => {
    const cwd = workdir({
      'steps.ts': STEPS_TS,
      'pipeline.ts': `import { pipeline, task } from ${SDK};\nimport { prepare, train } from './steps.ts';\nexport default pipeline([task(prepare, { returns: ['rows'] }), task(train)]);\n`,
      'broken.ts': `import { pipeline } from ${SDK};\nimport { gone } from './nowhere.ts';\nexport default pipeline([gone]);\n`,
    });
    const noFile = await cli(['validate', 'pipeline.ts', '-p', 'params.yaml'], cwd);
    expect(noFile.code, noFile.stderr).toBe(2); // the steps are checked, but parameters not followed from a file that is not there
    expect(lines(noFile.stderr)).toEqual([expect.stringMatching(/^runnable: params\.yaml: /)]);

    const missing = await cli(['validate', 'pipeline.ts'], cwd);
    expect(missing.code, missing.stderr).toBe(2);
    expect(lines(missing.stderr)).toEqual([
      "runnable: pipeline.ts: step 'train', field 'command': function 'train' takes parameter 'lr', which nothing sets before this step (the parameters file, RUNNABLE_PRM_lr, an earlier step's returns)",
    ]);
    const withEnv = await cli(['validate', 'pipeline.ts'], cwd, { RUNNABLE_PRM_lr: '0.1' });
    expect(withEnv.code, withEnv.stderr).toBe(0);
    expect(lines(withEnv.stderr)).toEqual(['pipeline.ts: valid (2 steps)']);

    const broken = await cli(['validate', 'broken.ts'], cwd);
    expect(broken.code).toBe(2);
    expect(lines(broken.stderr)).toHaveLength(1);
    expect(broken.stderr).toMatch(/^runnable: broken\.ts: cannot load the pipeline module: .*nowhere/);
  });

  it('a missing export, an export that is not a function, a module that does not compile; top-level code that throws is a warning', async () => {
    const cwd = workdir({
      'steps.ts': STEPS_TS,
      'bad.ts': 'export function f( {\n',
      'throws.ts': "if (!process.env.READY) throw new Error('not ready');\nexport function f() {}\n",
      'pipeline.yaml': dag({ a: task('steps.ts:nope'), b: task('steps.ts:notAFunction'), c: task('bad.ts:f'), d: task('throws.ts:f') }),
    });
    const r = await cli(['validate', 'pipeline.yaml'], cwd);
    expect(r.code).toBe(2);
    const [warning, ...out] = lines(r.stderr);
    expect(warning).toBe("runnable: warning: pipeline.yaml: step 'd', field 'command': cannot load module throws.ts: not ready (its top-level code threw; the step loads it again when it runs)");
    expect(out).toHaveLength(3);
    expect(out[0]).toBe("runnable: pipeline.yaml: step 'a', field 'command': module steps.ts has no export 'nope' (exports: each, notAFunction, prepare, report, train)");
    expect(out[1]).toBe("runnable: pipeline.yaml: step 'b', field 'command': export 'notAFunction' of module steps.ts is a number, not a function");
    expect(out[2]).toMatch(/^runnable: pipeline\.yaml: step 'c', field 'command': cannot load module bad\.ts: /);
  });

  it('a python module that cannot be found, or lacks the function, without running any of it', async () => {
    const cwd = workdir({
      'pysteps.py': `${PY}\nopen('imported.txt', 'w').write('the module ran')\n`,
      'pkg/__init__.py': "open('init-ran.txt', 'w').write('the package ran')\n",
      'pkg/mod.py': 'def f(a):\n    return a\n',
      'pipeline.yaml': dag({
        a: task('nosuch.module.fn', 'command_type: python'),
        b: task('pysteps.triple', 'command_type: python'),
        c: task('pkg.mod.f', 'command_type: python'),
        d: task('pysteps.everything', 'command_type: python'),
      }),
    });
    const r = await cli(['validate', 'pipeline.yaml'], cwd, { RUNNABLE_PRM_a: '1' });
    expect(r.code).toBe(2);
    const out = lines(r.stderr);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/^runnable: pipeline\.yaml: step 'a', field 'command': cannot import module 'nosuch\.module' for command 'nosuch\.module\.fn': no module named 'nosuch'/);
    expect(out[1]).toBe("runnable: pipeline.yaml: step 'b', field 'command': module 'pysteps' (pysteps.py) defines no 'triple' (command 'pysteps.triple')");
    expect(existsSync(join(cwd, 'imported.txt'))).toBe(false);
    expect(existsSync(join(cwd, 'init-ran.txt'))).toBe(false);
  });

  it('a missing notebook', async () => {
    const cwd = workdir({ 'pipeline.yaml': dag({ nb: task('notebooks/missing.ipynb', 'command_type: notebook') }) });
    const r = await cli(['validate', 'pipeline.yaml'], cwd);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/^runnable: pipeline\.yaml: step 'nb', field 'command': notebook notebooks\/missing\.ipynb: not found/)]);
  });

  it('every problem at once, one line each, then exit 2', async () => {
    const cwd = workdir({
      'steps.ts': STEPS_TS,
      'pysteps.py': PY,
      'pipeline.yaml': dag({
        first: task('steps.ts:train', 'returns: [score]'),
        second: task('steps.ts:missing'),
        third: task('pysteps.double', 'command_type: python'),
        fourth: task('gone.ipynb', 'command_type: notebook'),
        fifth: task('steps.ts:report'),
      }),
    });
    const r = await cli(['validate', 'pipeline.yaml'], cwd);
    expect(r.code).toBe(2);
    const out = lines(r.stderr);
    // TS `rows` and `lr`, the missing export, the notebook, Python's `x`; report's `score` comes from `first`
    expect(out.map((l) => /step '(\w+)', field '(\w+)'/.exec(l)?.slice(1).join(' '))).toEqual(['first command', 'first command', 'second command', 'third command', 'fourth command']);
    expect(out.join('\n')).toMatch(/takes parameter 'rows'[^\n]*\n.*takes parameter 'lr'/);
    expect(out.join('\n')).toContain("function 'double' takes parameter 'x'");
    expect(out.every((l) => l.startsWith('runnable: pipeline.yaml: '))).toBe(true);
  });

  it('-p provides parameters; earlier returns and a map item count; optional ones need nothing', async () => {
    const cwd = workdir({
      'steps.ts': STEPS_TS,
      'params.yaml': 'lr: 0.1\n',
      'pipeline.yaml': `dag:
  start_at: prep
  steps:
    prep: {type: task, command: steps.ts:prepare, returns: [rows], next: fit}
    fit: {type: task, command: steps.ts:train, returns: [score], next: fan}
    fan:
      type: map
      iterate_on: rows
      iterate_as: item
      branch:
        start_at: one
        steps:
          one: {type: task, command: steps.ts:each, next: success}
      next: show
    show: {type: task, command: steps.ts:report, next: success}
`,
    });
    const r = await cli(['validate', 'pipeline.yaml', '-p', 'params.yaml'], cwd);
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stderr)).toEqual(['pipeline.yaml: valid (5 steps)']);
    const longName = await cli(['validate', 'pipeline.yaml', '--parameters-file', 'params.yaml'], cwd);
    expect(longName.code, longName.stderr).toBe(0);
    const without = await cli(['validate', 'pipeline.yaml'], cwd);
    expect(without.code).toBe(2);
    expect(lines(without.stderr)).toEqual([expect.stringContaining("step 'fit', field 'command': function 'train' takes parameter 'lr'")]);
  });

  it('a parameter set on some paths only is a warning, not a failure; one returned later says by whom', async () => {
    const cwd = workdir({
      'steps.ts': STEPS_TS,
      'pipeline.yaml': `dag:
  start_at: choose
  steps:
    choose:
      type: conditional
      parameter: mode
      branches:
        fast:
          start_at: quick
          steps:
            quick: {type: task, command_type: shell, command: 'export score=1', returns: [score], next: success}
        slow:
          start_at: wait
          steps:
            wait: {type: stub, next: success}
      next: show
    show: {type: task, command: steps.ts:report, next: success}
`,
      'late.yaml': dag({ use: task('steps.ts:report'), make: task('echo', 'command_type: shell\nreturns: [score]') }),
      // `show` is also reached when `make` fails, and then `score` is not set
      'fallback.yaml': `dag:
  start_at: make
  steps:
    make: {type: task, command_type: shell, command: 'export score=1', returns: [score], next: show, on_failure: show}
    show: {type: task, command: steps.ts:report, next: success}
`,
    });
    const r = await cli(['validate', 'pipeline.yaml'], cwd, { RUNNABLE_PRM_mode: 'fast' });
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stderr)).toEqual([
      "runnable: warning: pipeline.yaml: step 'show', field 'command': function 'report' takes parameter 'score', which only some paths to this step set (returned by 'choose.fast.quick'): where it is reached another way (another conditional branch, an on_failure) it is not set",
      'pipeline.yaml: valid (4 steps), 1 warning',
    ]);
    const noMode = await cli(['validate', 'pipeline.yaml'], cwd);
    expect(noMode.code).toBe(2);
    expect(noMode.stderr).toContain("step 'choose', field 'parameter': the branch is chosen by parameter 'mode', which nothing sets");

    const fallback = await cli(['validate', 'fallback.yaml'], cwd);
    expect(fallback.code, fallback.stderr).toBe(0);
    expect(lines(fallback.stderr)).toEqual([expect.stringMatching(/^runnable: warning: fallback\.yaml: step 'show', field 'command': function 'report' takes parameter 'score', which only some paths to this step set \(returned by 'make'\)/), 'fallback.yaml: valid (2 steps), 1 warning']);

    const late = await cli(['validate', 'late.yaml'], cwd);
    expect(late.code).toBe(2);
    expect(late.stderr).toContain("takes parameter 'score', which nothing sets before this step (the parameters file, RUNNABLE_PRM_score, an earlier step's returns); 'make' returns it, but not before this step");
  });
});

describe('runnable execute makes the same checks', () => {
  it('refuses before any step runs: exit 2, every problem, no run log, nothing the first step would do', async () => {
    const cwd = workdir({
      'steps.ts': STEPS_TS,
      'pipeline.yaml': dag({ touch: task('touch ran.txt', 'command_type: shell'), fit: task('steps.ts:train'), gone: task('steps.ts:gone') }),
    });
    const r = await cli(['execute', 'pipeline.yaml'], cwd);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(3);
    expect(r.stderr).toContain("step 'fit', field 'command': function 'train' takes parameter 'rows'");
    expect(r.stderr).toContain("step 'gone', field 'command': module steps.ts has no export 'gone'");
    expect(existsSync(join(cwd, 'ran.txt'))).toBe(false);
    expect(runIds(cwd)).toEqual([]);
    expect(existsSync(join(cwd, '.catalog'))).toBe(false);

    const fixed = await cli(['execute', 'pipeline.yaml'], cwd, { RUNNABLE_PRM_rows: '[1]', RUNNABLE_PRM_lr: '2' });
    expect(fixed.code).toBe(2); // `gone` still missing
    expect(lines(fixed.stderr)).toEqual([expect.stringContaining("no export 'gone'")]);
  });
});
