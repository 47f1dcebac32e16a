/** Composite steps and parameter scoping: parallel, map, conditional, loop. */
import { describe, expect, it } from 'vitest';
import { branch, runYaml, step, values } from './_helpers.js';

const PARALLEL2 = `pipeline-executor: {type: local, config: {max_parallel: 3}}\n`;

const FUNCS = `
export function echoItem(item, base) { return { doubled: base + String(item) + String(item), item_seen: item }; }
export function sum(values) { return values.reduce((a, b) => a + b, 0); }
export function iter(i, total, stop_at) {
  if (process.env.i !== String(i)) throw new Error('env i=' + process.env.i + ' param i=' + i);
  return { total: total + i, done: i >= stop_at, seen_i: i };
}
`;

describe('parallel', () => {
  it('branches see the parent parameters; returns merge in declaration order (later wins)', async () => {
    const r = await runYaml(
      `
dag:
  start_at: par
  steps:
    par:
      type: parallel
      next: check
      branches:
        first:
          start_at: slow
          steps:
            slow:
              type: task
              command_type: shell
              command: 'test "$base" = "B" && sleep 0.4 && export x=from_first y=only_first'
              returns: [x, y]
              next: success
        second:
          start_at: quick
          steps:
            quick: {type: task, command_type: shell, command: 'test "$base" = "B" && export x=from_second', returns: [x], next: success}
    check: {type: task, command_type: shell, command: 'test "$x" = from_second && test "$y" = only_first', next: success}
`,
      { 'config.yaml': PARALLEL2, 'params.yaml': 'base: B\n' },
      { config: 'config.yaml', params: 'params.yaml' },
    );
    expect(r.status).toBe('SUCCESS');
    expect(values(r.runLog.parameters)).toEqual({ base: 'B', x: 'from_second', y: 'only_first' });
    const par = step(r.runLog, 'par');
    expect(par.step_type).toBe('parallel');
    expect(Object.keys(par.branches)).toEqual(['par.first', 'par.second']);
    expect(values(branch(r.runLog, 'par.first').parameters)).toEqual({ x: 'from_first', y: 'only_first' });
    expect(step(r.runLog, 'par.second.quick').status).toBe('SUCCESS');
    expect(step(r.runLog, 'par.first.success').step_type).toBe('success');
  });
});

describe('map', () => {
  const yaml = (reducer = '') => `
dag:
  start_at: fan
  steps:
    fan:
      type: map
      iterate_on: items
      iterate_as: item
      ${reducer}
      next: success
      branch:
        start_at: ts
        steps:
          ts: {type: task, command: funcs.ts:echoItem, returns: [doubled, item_seen], next: sh}
          sh:
            type: task
            command_type: shell
            command: |
              sleep "0.$((3 - item))"
              test "$RUNNABLE_MAP_VARIABLE" = "{\\"item\\":$item}" || { echo "mv=$RUNNABLE_MAP_VARIABLE" >&2; exit 1; }
              export from_shell=$((item * 10))
              export mv="$RUNNABLE_MAP_VARIABLE"
            returns: [from_shell, mv]
            next: success
`;

  it('runs one branch per item; each return is reduced to an array in iteration order', async () => {
    const r = await runYaml(yaml(), { 'funcs.ts': FUNCS, 'config.yaml': PARALLEL2 }, {
      config: 'config.yaml',
      env: { RUNNABLE_PRM_items: '[1, 2, 3]', RUNNABLE_PRM_base: '"b"' },
    });
    expect(r.status).toBe('SUCCESS');
    const fan = step(r.runLog, 'fan');
    expect(fan.step_type).toBe('map');
    expect(Object.keys(fan.branches)).toEqual(['fan.1', 'fan.2', 'fan.3']);
    expect(step(r.runLog, 'fan.2.ts').internal_name).toBe('fan.2.ts');
    expect(branch(r.runLog, 'fan.2').parameters.item).toEqual({ kind: 'json', value: 2 });
    expect(values(r.runLog.parameters)).toEqual({
      items: [1, 2, 3],
      base: 'b',
      doubled: ['b11', 'b22', 'b33'],
      item_seen: [1, 2, 3],
      from_shell: [10, 20, 30],
      mv: [{ item: 1 }, { item: 2 }, { item: 3 }],
    });
    expect(r.runLog.parameters.item).toBeUndefined();
  });

  it('applies a custom reducer (PATH:EXPORT)', async () => {
    const r = await runYaml(
      `
dag:
  start_at: fan
  steps:
    fan:
      type: map
      iterate_on: items
      iterate_as: n
      reducer: funcs.ts:sum
      next: success
      branch:
        start_at: sq
        steps:
          sq: {type: task, command_type: shell, command: 'export sq=$((n * n))', returns: [sq], next: success}
`,
      { 'funcs.ts': FUNCS },
      { env: { RUNNABLE_PRM_items: '[1, 2, 3, 4]' } },
    );
    expect(r.status).toBe('SUCCESS');
    expect(r.runLog.parameters.sq).toEqual({ kind: 'json', value: 30 });
  });

  it('string items name the branches; iterate_on that is not a list fails the step', async () => {
    const ok = await runYaml(
      `
dag:
  start_at: fan
  steps:
    fan:
      type: map
      iterate_on: names
      iterate_as: name
      next: success
      branch:
        start_at: s
        steps:
          s: {type: task, command_type: shell, command: 'export up=$(echo $name | tr a-z A-Z)', returns: [up], next: success}
`,
      {},
      { env: { RUNNABLE_PRM_names: '["ab", "cd"]' } },
    );
    expect(ok.status).toBe('SUCCESS');
    expect(Object.keys(step(ok.runLog, 'fan').branches)).toEqual(['fan.ab', 'fan.cd']);
    expect(ok.runLog.parameters.up!.value).toEqual(['AB', 'CD']);

    const bad = await runYaml(
      `
dag:
  start_at: fan
  steps:
    fan:
      type: map
      iterate_on: names
      iterate_as: name
      next: success
      branch: {start_at: s, steps: {s: {type: stub, next: success}}}
`,
      {},
      { env: { RUNNABLE_PRM_names: '"not a list"' } },
    );
    expect(bad.status).toBe('FAIL');
    expect(step(bad.runLog, 'fan').status).toBe('FAIL');
    expect(step(bad.runLog, 'fan').message).toContain('not a list');
  });
});

describe('conditional', () => {
  const yaml = (withDefault: boolean) => `
dag:
  start_at: pick
  steps:
    pick:
      type: conditional
      parameter: which
      next: success
      branches:
        heads:
          start_at: h
          steps:
            h: {type: task, command_type: shell, command: 'export chosen=heads', returns: [chosen], next: success}
        "2":
          start_at: t
          steps:
            t: {type: task, command_type: shell, command: 'export chosen=two', returns: [chosen], next: success}
${
  withDefault
    ? `      default:
        start_at: d
        steps:
          d: {type: task, command_type: shell, command: 'export chosen=default', returns: [chosen], next: success}`
    : ''
}
`;

  const cases: Array<[string, string, boolean, string]> = [
    ['a string value', '"heads"', false, 'heads'],
    ['a number value (compared as a string)', '2', false, '2'],
    ['no match: the default branch', '"tails"', true, 'default'],
  ];
  it.for(cases)('picks the branch by %s', async ([, value, withDefault, key]) => {
    const r = await runYaml(yaml(withDefault), {}, { env: { RUNNABLE_PRM_which: value } });
    expect(r.status).toBe('SUCCESS');
    const pick = step(r.runLog, 'pick');
    expect(pick.step_type).toBe('conditional');
    expect(Object.keys(pick.branches)).toEqual([`pick.${key}`]);
    expect(r.runLog.parameters.chosen!.value).toBe({ heads: 'heads', '2': 'two', default: 'default' }[key]);
  });

  it('no match and no default: the step fails', async () => {
    const r = await runYaml(yaml(false), {}, { env: { RUNNABLE_PRM_which: '"tails"' } });
    expect(r.status).toBe('FAIL');
    const pick = step(r.runLog, 'pick');
    expect(pick.status).toBe('FAIL');
    expect(pick.message).toContain('tails');
    expect(pick.branches).toEqual({});
  });
});

describe('loop', () => {
  const yaml = (max: number) => `
dag:
  start_at: repeat
  steps:
    repeat:
      type: loop
      max_iterations: ${max}
      break_on: done
      index_as: i
      next: after
      branch:
        start_at: body
        steps:
          body: {type: task, command: funcs.ts:iter, returns: [total, done, seen_i], next: sh}
          sh: {type: task, command_type: shell, command: 'test "$i" = "$seen_i" && export from_env=$i', returns: [from_env], next: success}
    after: {type: task, command_type: shell, command: 'test "$total" = "3"', next: success}
`;

  it('stops when break_on becomes true; iteration N sees N-1; the parent gets the last values', async () => {
    const r = await runYaml(yaml(10), { 'funcs.ts': FUNCS }, { env: { RUNNABLE_PRM_total: '0', RUNNABLE_PRM_stop_at: '2' } });
    expect(step(r.runLog, 'repeat').message).toBe('');
    expect(r.status).toBe('SUCCESS');
    const loop = step(r.runLog, 'repeat');
    expect(loop.step_type).toBe('loop');
    expect(Object.keys(loop.branches)).toEqual(['repeat.0', 'repeat.1', 'repeat.2']);
    // 0 + 0 + 1 + 2; the last iteration's parameters, its index included, are the loop's result
    expect(values(r.runLog.parameters)).toEqual({ total: 3, stop_at: 2, done: true, seen_i: 2, from_env: 2, i: 2 });
    expect(values(step(r.runLog, 'repeat.1.body').attempts[0]!.input_parameters)).toEqual({ i: 1, total: 0, stop_at: 2 });
    expect(values(step(r.runLog, 'repeat.2.body').attempts[0]!.input_parameters)).toEqual({ i: 2, total: 1, stop_at: 2 });
    expect(step(r.runLog, 'after').status).toBe('SUCCESS');
  });

  it('ends at max_iterations with the last iteration status', async () => {
    const r = await runYaml(yaml(2), { 'funcs.ts': FUNCS }, { env: { RUNNABLE_PRM_total: '0', RUNNABLE_PRM_stop_at: '99' } });
    const loop = step(r.runLog, 'repeat');
    expect(loop.status).toBe('SUCCESS');
    expect(Object.keys(loop.branches)).toEqual(['repeat.0', 'repeat.1']);
    expect(values(r.runLog.parameters)).toMatchObject({ total: 1, done: false });
    // `after` expects total 3
    expect(step(r.runLog, 'after').status).toBe('FAIL');
  });

  it('a failing iteration fails the loop and stops it', async () => {
    const r = await runYaml(`
dag:
  start_at: repeat
  steps:
    repeat:
      type: loop
      max_iterations: 5
      break_on: done
      index_as: i
      next: success
      branch:
        start_at: body
        steps:
          body: {type: task, command_type: shell, command: 'test "$i" != 1 && export done=false', returns: [done], next: success}
`);
    expect(r.status).toBe('FAIL');
    const loop = step(r.runLog, 'repeat');
    expect(loop.status).toBe('FAIL');
    expect(loop.message).toContain('iteration 1');
    expect(Object.keys(loop.branches)).toEqual(['repeat.0', 'repeat.1']);
    expect(branch(r.runLog, 'repeat.1').status).toBe('FAIL');
  });
});
