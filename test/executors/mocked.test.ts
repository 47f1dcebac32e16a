/**
 * The `mocked` pipeline executor (SPEC §6), in real runs: unpatched tasks do not run (their side
 * effects never happen) and are recorded with `mock: true`; a patch runs instead of the step's
 * command, may change its command_type, and is addressed by step name or internal name;
 * composites still fan out; bad patches are exit-2 config errors before any run log exists.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunnableError } from '../../src/errors.js';
import { allSteps, branch, cli, run, runIds, step, values, workdir, writeFiles } from '../engine/_helpers.js';

/** TS tasks run in this process (whose cwd is not the run's): they write ran.txt by absolute path */
const functions = (cwd: string) => `
import { appendFileSync } from 'node:fs';
const RAN = ${JSON.stringify(join(cwd, 'ran.txt'))};
export function touch_ts(): number { appendFileSync(RAN, 'touch_ts\\n'); return 1; }
export function patched_ts(): number { appendFileSync(RAN, 'patched_ts\\n'); return 42; }
`;

/** A fresh working directory with the functions module and `files`. */
function project(files: Record<string, string>): string {
  const cwd = workdir(files);
  writeFiles(cwd, { 'functions.ts': functions(cwd) });
  return cwd;
}

/** shell and TS tasks that each leave a trace in ran.txt, a map and a parallel */
const PIPELINE = `
dag:
  start_at: prepare
  steps:
    prepare:
      type: task
      command: functions.ts:touch_ts
      returns: [x]
      next: shell_step
    shell_step:
      type: task
      command_type: shell
      command: echo shell_step >> ran.txt; export y=2
      returns: [y]
      next: fan
    fan:
      type: map
      iterate_on: items
      iterate_as: item
      branch:
        start_at: work
        steps:
          work:
            type: task
            command_type: shell
            command: echo "work $item" >> ran.txt; export out=$item
            returns: [out]
            next: success
      next: both
    both:
      type: parallel
      branches:
        a:
          start_at: work
          steps:
            work:
              type: task
              command: functions.ts:touch_ts
              next: success
        b:
          start_at: other
          steps:
            other:
              type: stub
              next: success
      next: success
`;

const mockedConfig = (patches: string) => `pipeline-executor:\n  type: mocked\n  config:\n    patches:\n${patches}`;
const ran = (cwd: string): string[] => (existsSync(join(cwd, 'ran.txt')) ? readFileSync(join(cwd, 'ran.txt'), 'utf8').trim().split('\n').map((l) => l.trim()) : []);
const params = 'items: [1, 2, 3]\n';

describe('unpatched tasks', () => {
  it('are not run, are recorded with mock: true, and composites still fan out', async () => {
    const cwd = project({ 'pipeline.yaml': PIPELINE, 'config.yaml': 'pipeline-executor:\n  type: mocked\n', 'params.yaml': params });
    const r = await run(cwd, { config: 'config.yaml', params: 'params.yaml' });

    expect(r.status).toBe('SUCCESS');
    expect(ran(cwd)).toEqual([]); // no task's side effect happened
    const tasks = allSteps(r.runLog).filter((s) => s.step_type === 'task');
    expect(tasks.map((s) => s.internal_name)).toEqual(['prepare', 'shell_step', 'fan.1.work', 'fan.2.work', 'fan.3.work', 'both.a.work']);
    for (const s of tasks) {
      expect(s.mock, s.internal_name).toBe(true);
      expect(s.status).toBe('SUCCESS');
      expect(s.attempts).toHaveLength(1);
      expect(s.attempts[0]).toMatchObject({ status: 'SUCCESS', output_parameters: {} });
    }
    // the map fanned out over the parameter, the parallel ran both branches
    expect(Object.keys(step(r.runLog, 'fan').branches)).toEqual(['fan.1', 'fan.2', 'fan.3']);
    expect(branch(r.runLog, 'both.b').status).toBe('SUCCESS');
    expect(step(r.runLog, 'both.b.other').mock).toBe(false);
    // nothing was returned, so nothing was added to the parameters
    expect(values(r.runLog.parameters)).toEqual({ items: [1, 2, 3] });
    expect(r.file.steps.prepare!.mock).toBe(true); // and so on disk
  });

  it('leave the traces they would leave under the local executor (the control)', async () => {
    const cwd = project({ 'pipeline.yaml': PIPELINE, 'params.yaml': params });
    const r = await run(cwd, { params: 'params.yaml' });
    expect(r.status).toBe('SUCCESS');
    expect(ran(cwd)).toEqual(['touch_ts', 'shell_step', 'work 1', 'work 2', 'work 3', 'touch_ts']);
    expect(allSteps(r.runLog).some((s) => s.mock)).toBe(false);
  });

  it('need not resolve: a mocked task whose module is missing does not stop the run', async () => {
    const yaml = 'dag:\n  start_at: a\n  steps:\n    a:\n      type: task\n      command: missing.ts:fn\n      next: success\n';
    const cwd = project({ 'pipeline.yaml': yaml, 'config.yaml': 'pipeline-executor:\n  type: mocked\n' });
    expect((await run(cwd, { config: 'config.yaml' })).status).toBe('SUCCESS');
    // the local executor refuses it before running
    await expect(run(cwd)).rejects.toMatchObject({ code: 'E_COMMAND' });
  });
});

describe('patches', () => {
  it('run instead of the command; the others stay mocked', async () => {
    const config = mockedConfig('      shell_step:\n        command: echo patched_shell >> ran.txt; export y=20\n');
    const cwd = project({ 'pipeline.yaml': PIPELINE, 'config.yaml': config, 'params.yaml': params });
    const r = await run(cwd, { config: 'config.yaml', params: 'params.yaml' });

    expect(r.status).toBe('SUCCESS');
    expect(ran(cwd)).toEqual(['patched_shell']);
    const s = step(r.runLog, 'shell_step');
    expect(s.mock).toBe(false);
    expect(values(s.attempts[0]!.output_parameters)).toEqual({ y: 20 });
    expect(values(r.runLog.parameters)).toMatchObject({ y: 20 });
    expect(step(r.runLog, 'prepare').mock).toBe(true);
  });

  it('may change the command_type: a TypeScript step patched by shell, a shell step by a TS function', async () => {
    const config = mockedConfig(
      [
        '      prepare:',
        '        command: echo prepare_by_shell >> ran.txt; export x=7',
        '        command_type: shell',
        '      shell_step:', // a shell step keeps shell unless told: any command fits it
        '        command: functions.ts:patched_ts',
        '        command_type: typescript',
      ].join('\n') + '\n',
    );
    const cwd = project({ 'pipeline.yaml': PIPELINE, 'config.yaml': config, 'params.yaml': params });
    const r = await run(cwd, { config: 'config.yaml', params: 'params.yaml' });

    expect(r.status).toBe('SUCCESS');
    expect(ran(cwd)).toEqual(['prepare_by_shell', 'patched_ts']);
    expect(values(r.runLog.parameters)).toMatchObject({ x: 7, y: 42 });
    expect(step(r.runLog, 'prepare').mock).toBe(false);
  });

  it('by step name patch every task of that name, in every map iteration and branch', async () => {
    const config = mockedConfig('      work:\n        command: echo "patched $item" >> ran.txt; export out=$((item * 10))\n');
    const cwd = project({ 'pipeline.yaml': PIPELINE, 'config.yaml': config, 'params.yaml': params });
    const r = await run(cwd, { config: 'config.yaml', params: 'params.yaml' });

    expect(r.status).toBe('SUCCESS');
    // three map iterations and the parallel branch's `work` (a TS step there, patched by shell)
    expect(ran(cwd).sort()).toEqual(['patched', 'patched 1', 'patched 2', 'patched 3']);
    expect(values(r.runLog.parameters).out).toEqual([10, 20, 30]);
    expect(step(r.runLog, 'both.a.work').mock).toBe(false);
  });

  it('by internal name address one step: the template for every iteration, a resolved name for one', async () => {
    const config = mockedConfig(
      [
        '      fan.map_variable_placeholder.work:',
        '        command: echo "template $item" >> ran.txt',
        '      fan.2.work:',
        '        command: echo "only two" >> ran.txt',
      ].join('\n') + '\n',
    );
    const cwd = project({ 'pipeline.yaml': PIPELINE.replace('export out=$item', 'true').replace('returns: [out]', 'returns: []'), 'config.yaml': config, 'params.yaml': params });
    const r = await run(cwd, { config: 'config.yaml', params: 'params.yaml' });

    expect(r.status).toBe('SUCCESS');
    expect(ran(cwd)).toEqual(['template 1', 'only two', 'template 3']);
    expect(step(r.runLog, 'both.a.work').mock).toBe(true); // another `work`: not addressed
  });

  it('that fail take the on_failure path', async () => {
    const yaml = [
      'dag:',
      '  start_at: risky',
      '  steps:',
      '    risky: {type: task, command: functions.ts:touch_ts, next: after, on_failure: handler}',
      '    after: {type: task, command: functions.ts:touch_ts, next: success}',
      '    handler: {type: task, command_type: shell, command: echo handled >> ran.txt, next: fail}',
    ].join('\n');
    const config = mockedConfig('      risky:\n        command: exit 1\n      handler:\n        command: echo handled >> ran.txt\n');
    const cwd = project({ 'pipeline.yaml': yaml, 'config.yaml': config });
    const r = await run(cwd, { config: 'config.yaml' });

    expect(r.status).toBe('FAIL');
    expect(step(r.runLog, 'risky')).toMatchObject({ status: 'FAIL', mock: false });
    expect(step(r.runLog, 'risky').message).toContain('exit code 1');
    expect(r.runLog.steps.after).toBeUndefined();
    expect(ran(cwd)).toEqual(['handled']);
  });
});

describe('bad patches are exit-2 config errors, before any run log exists', () => {
  it('a patch that names no task step', async () => {
    const config = mockedConfig('      nope:\n        command: exit 0\n      fan.map_variable_placeholder.wrk:\n        command: exit 0\n      both.b.other:\n        command: exit 0\n');
    const cwd = project({ 'pipeline.yaml': PIPELINE, 'config.yaml': config });
    const r = await cli(['execute', 'pipeline.yaml', '-c', 'config.yaml'], cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("config.yaml: field 'pipeline-executor.config.patches'");
    expect(r.stderr).toContain("unknown patches 'nope', 'fan.map_variable_placeholder.wrk', 'both.b.other'"); // a stub is no task
    expect(r.stderr).toContain("(tasks: 'prepare', 'shell_step', 'work')");
    expect(runIds(cwd)).toEqual([]);
  });

  it('a command that does not fit the command_type, a shell patch of an object-returning step, an unknown field', async () => {
    const cases: [string, RegExp][] = [
      ['      prepare:\n        command: echo hi\n        command_type: typescript\n', /patch 'prepare': 'echo hi' is not PATH\[:EXPORT\]/],
      ['      prepare:\n        command: exit 0\n        retries: 2\n', /unknown field\(s\) 'retries'/],
    ];
    for (const [patches, message] of cases) {
      const cwd = project({ 'pipeline.yaml': PIPELINE, 'config.yaml': mockedConfig(patches) });
      const err = await run(cwd, { config: 'config.yaml' }).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(RunnableError);
      expect((err as RunnableError).code).toBe('E_CONFIG');
      expect((err as RunnableError).message).toMatch(message);
      expect(runIds(cwd)).toEqual([]);
    }
    const objects = PIPELINE.replace('returns: [x]', 'returns: [{name: x, kind: object}]');
    const cwd = project({ 'pipeline.yaml': objects, 'config.yaml': mockedConfig('      prepare:\n        command: exit 0\n') });
    await expect(run(cwd, { config: 'config.yaml' })).rejects.toThrow(/patch 'prepare' is a shell command, but step 'prepare' returns objects \(x\)/);
  });

  it('a patch whose module is missing is checked as the command it replaces would be', async () => {
    const cwd = project({ 'pipeline.yaml': PIPELINE, 'config.yaml': mockedConfig('      prepare:\n        command: nowhere.ts:fn\n') });
    const r = await cli(['execute', 'pipeline.yaml', '-c', 'config.yaml'], cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/step 'prepare'.*module nowhere\.ts not found/);
    expect(runIds(cwd)).toEqual([]);
  });
});

describe('through the CLI', () => {
  it('exit 0 for a mocked run, exit 1 when a patch fails; mock recorded in the file-system run log', async () => {
    const cwd = project({ 'pipeline.yaml': PIPELINE, 'ok.yaml': 'pipeline-executor:\n  type: mocked\n', 'params.yaml': params, 'bad.yaml': mockedConfig('      work:\n        command: test "$item" != 2\n') });
    const ok = await cli(['execute', 'pipeline.yaml', '-c', 'ok.yaml', '-p', 'params.yaml', '--json'], cwd);
    expect(ok.code).toBe(0);
    const summary = JSON.parse(ok.stdout.trim().split('\n').at(-1)!) as { run_log: { steps: Record<string, { mock: boolean }> } };
    expect(summary.run_log.steps.prepare!.mock).toBe(true);
    const bad = await cli(['execute', 'pipeline.yaml', '-c', 'bad.yaml', '-p', 'params.yaml', '--json'], cwd);
    expect(bad.code).toBe(1);
    expect(ran(cwd)).toEqual([]);
  });
});
