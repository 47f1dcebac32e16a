/**
 * Issue 13 item 1: a parameter whose name is an environment variable that changes how programs
 * run (BASH_ENV makes bash source a file, LD_PRELOAD loads a library, ...) must never reach a
 * step's environment. Such names are refused, exit 2 naming them, wherever a parameter is named:
 * the parameters file, RUNNABLE_PRM_*, a step's `returns` (shell, TS, SDK), `iterate_as` and
 * `index_as`; and a shell task never exports one that still comes in through a run log.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_CONTROL_NAMES, ENV_CONTROL_PREFIXES, isEnvControlName } from '../../src/graph/rules.js';
import { loadInitialParameters } from '../../src/params/load.js';
import { parsePipeline } from '../../src/yaml/load-pipeline.js';
import { shell, task } from '../../src/sdk/index.js';
import { shellTask } from '../../src/tasks/shell.js';
import { paramView, sink, taskNode } from '../tasks/_helpers.js';
import { cli, oneStep, STACK_LINE, workdir } from './_cli.js';

/** The issue's list, then one member of each prefix family. */
const ISSUE_NAMES = ['BASH_ENV', 'SHELLOPTS', 'PATH', 'LD_PRELOAD', 'NODE_OPTIONS', 'PS4', 'IFS', 'ENV', 'PYTHONSTARTUP'];
const ALL = [...new Set([...ISSUE_NAMES, ...ENV_CONTROL_NAMES, ...ENV_CONTROL_PREFIXES.map((p) => (/_$/.test(p) ? `${p}X` : p))])].filter((n) =>
  /^[A-Za-z_][A-Za-z0-9_]*$/.test(n),
);

async function rejection(p: Promise<unknown> | (() => unknown)): Promise<Error> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('every env-control name is refused as a parameter name, on every path', () => {
  it.each(ALL)('%s', async (name) => {
    expect(isEnvControlName(name)).toBe(true);
    const dir = workdir({ 'params.yaml': `${name}: 1\n` });
    const fromFile = await rejection(loadInitialParameters({ file: 'params.yaml', cwd: dir, env: {} }));
    expect(fromFile.message).toContain(`'${name}'`);
    expect((fromFile as { code?: string }).code).toBe('E_PARAMS');
    const fromEnv = await rejection(loadInitialParameters({ cwd: dir, env: { [`RUNNABLE_PRM_${name}`]: '1' } }));
    expect(fromEnv.message).toContain(`RUNNABLE_PRM_${name}`);
    for (const fields of [
      `command_type: shell\ncommand: "export ${name}=1"\nreturns: [${name}]`,
      `command: fns.ts:f\nreturns: [{name: ${name}, kind: json}]`,
    ]) {
      const e = await rejection(() => parsePipeline(oneStep(fields), 'p.yaml'));
      expect(e.message).toContain(name);
    }
    const map = `dag:\n  start_at: m\n  steps:\n    m:\n      type: map\n      iterate_on: xs\n      iterate_as: ${name}\n      branch:\n        start_at: s\n        steps:\n          s: {type: stub, next: success}\n      next: success\n`;
    expect((await rejection(() => parsePipeline(map, 'p.yaml'))).message).toContain(name);
    expect((await rejection(() => shell(`export ${name}=1`, { name: 's', returns: [name] }))).message).toContain(name);
    expect((await rejection(() => task(function f() {}, { returns: [name] }))).message).toContain(name);
  });

  it('ordinary names, lowercase ones included, stay allowed', async () => {
    for (const name of ['path', 'home', 'rows', 'node_count', 'env', 'ifs', 'x', 'RUN', 'PATHS_FILE', 'LDAP_HOST']) expect(isEnvControlName(name)).toBe(false);
    const dir = workdir({ 'params.yaml': 'path: data/x.csv\nenv: prod\n' });
    expect(await loadInitialParameters({ file: 'params.yaml', cwd: dir, env: { RUNNABLE_PRM_home: '"h"' } })).toEqual({
      path: { kind: 'json', value: 'data/x.csv' },
      env: { kind: 'json', value: 'prod' },
      home: { kind: 'json', value: 'h' },
    });
  });
});

/** A BASH_ENV file that leaves a marker when any later bash sources it. */
function attackDir(extra: Record<string, string> = {}): { dir: string; marker: string } {
  const dir = workdir({ 'evil.sh': 'touch "$(dirname "$BASH_ENV")/PWNED"\n', ...extra });
  return { dir, marker: path.join(dir, 'PWNED') };
}

const victim = oneStep('command_type: shell\ncommand: "echo ok"');

describe.concurrent('through the CLI: exit 2 before anything runs, the name in one line', () => {
  const cases: Array<[string, string, (dir: string, name: string) => { files: Record<string, string>; args: string[]; env?: NodeJS.ProcessEnv }]> = [];
  for (const name of ISSUE_NAMES) {
    cases.push([name, 'parameters file', (dir) => ({ files: { 'p.yaml': victim, 'params.yaml': `${name}: ${JSON.stringify(path.join(dir, 'evil.sh'))}\n` }, args: ['execute', 'p.yaml', '-p', 'params.yaml'] })]);
    cases.push([name, 'RUNNABLE_PRM_', (dir) => ({ files: { 'p.yaml': victim }, args: ['execute', 'p.yaml'], env: { [`RUNNABLE_PRM_${name}`]: path.join(dir, 'evil.sh') } })]);
    cases.push([
      name,
      'a shell step returns it',
      () => ({
        files: {
          'p.yaml': `dag:\n  start_at: a\n  steps:\n    a:\n      type: task\n      command_type: shell\n      command: 'export ${name}="$PWD/evil.sh"'\n      returns: [${name}]\n      next: b\n    b:\n      type: task\n      command_type: shell\n      command: echo ok\n      next: success\n`,
        },
        args: ['execute', 'p.yaml'],
      }),
    ]);
    cases.push([
      name,
      'a TS step returns it',
      () => ({
        files: {
          'fns.ts': `export function a() { return process.cwd() + '/evil.sh'; }\n`,
          'p.yaml': `dag:\n  start_at: a\n  steps:\n    a:\n      type: task\n      command: fns.ts:a\n      returns: [${name}]\n      next: b\n    b:\n      type: task\n      command_type: shell\n      command: echo ok\n      next: success\n`,
        },
        args: ['execute', 'p.yaml'],
      }),
    ]);
  }
  it.for(cases)('%s via %s', async ([name, , make], { expect }) => {
    const { dir, marker } = attackDir();
    const { files, args, env } = make(dir, name);
    for (const [rel, text] of Object.entries(files)) writeFileSync(path.join(dir, rel), text);
    const r = await cli(args, dir, env);
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toContain(name);
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(path.join(dir, '.run_log_store'))).toBe(false);
  });
});

describe('a shell task never exports an env-control name it is handed', () => {
  it('BASH_ENV, PATH, IFS and LD_PRELOAD from the scope do not reach bash', async () => {
    const { dir, marker } = attackDir();
    const out = sink();
    await shellTask.run({
      node: taskNode('shell', 'echo "path=$PATH ifs=[$IFS]"; ls / > /dev/null && echo listed'),
      params: paramView({ BASH_ENV: path.join(dir, 'evil.sh'), PATH: '/nowhere', IFS: 'x', LD_PRELOAD: '/nowhere/lib.so', rows: 3 }),
      env: {},
      cwd: dir,
      output: out,
      signal: new AbortController().signal,
    });
    expect(existsSync(marker)).toBe(false);
    expect(out.out()).toContain('listed');
    expect(out.out()).not.toContain('/nowhere');
    expect(out.out()).not.toContain('ifs=[x]');
  });
});
