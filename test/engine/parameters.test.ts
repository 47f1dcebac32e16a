/** Parameters: initial, env overrides, binding into TS and shell, returns by kind. */
import { describe, expect, it } from 'vitest';
import { runYaml, step, values } from './_helpers.js';

const FUNCS = `
export function show(x, greeting) { return { seen: [x, greeting] }.seen; }
export function withDefaults({ x, missing_one = 'dflt', nested }) { return [x, missing_one, nested.a]; }
export function pair(count, label) { return [count, label]; }
export function needs(x, not_there) { return x; }
export function makeMap() { return new Map([['a', 1], ['b', new Set([2, 3])]]); }
export function useMap(model) {
  if (!(model instanceof Map)) throw new Error('model is not a Map: ' + Object.prototype.toString.call(model));
  return [model.get('a'), [...model.get('b')]];
}
export function score() { return [0.93, 'ok']; }
export function typed(num, str, flag, list, obj) { return [typeof num, typeof str, typeof flag, Array.isArray(list), typeof obj]; }
`;

const PARAMS = `
x: 10
greeting: hello
nested: {a: 1, b: [1, 2]}
`;

describe('parameters', () => {
  it('initial parameters from -p are bound by name into TS functions', async () => {
    const r = await runYaml(
      `
dag:
  start_at: show
  steps:
    show: {type: task, command: funcs.ts:show, returns: [seen], next: success}
`,
      { 'funcs.ts': FUNCS, 'params.yaml': PARAMS },
      { params: 'params.yaml' },
    );
    expect(r.status).toBe('SUCCESS');
    expect(values(r.runLog.parameters)).toEqual({ x: 10, greeting: 'hello', nested: { a: 1, b: [1, 2] }, seen: [10, 'hello'] });
    const a = step(r.runLog, 'show').attempts[0]!;
    expect(values(a.input_parameters)).toEqual({ x: 10, greeting: 'hello' });
    expect(a.output_parameters).toEqual({ seen: { kind: 'json', value: [10, 'hello'] } });
  });

  it('RUNNABLE_PRM_ overrides (JSON) and adds (plain string) parameters', async () => {
    const r = await runYaml(
      `
dag:
  start_at: show
  steps:
    show: {type: task, command: funcs.ts:typed, returns: [types], next: success}
`,
      {
        'funcs.ts': FUNCS,
        'params.yaml': 'num: 1\nstr: s\nflag: false\nlist: []\nobj: {}\n',
      },
      {
        params: 'params.yaml',
        env: { RUNNABLE_PRM_num: '42', RUNNABLE_PRM_str: 'not json at all', RUNNABLE_PRM_list: '[1,"a"]', RUNNABLE_PRM_extra: 'true' },
      },
    );
    expect(r.status).toBe('SUCCESS');
    const p = values(r.runLog.parameters);
    expect(p.num).toBe(42);
    expect(p.str).toBe('not json at all');
    expect(p.list).toEqual([1, 'a']);
    expect(p.extra).toBe(true);
    expect(p.types).toEqual(['number', 'string', 'boolean', true, 'object']);
  });

  it('binds a destructured object parameter, applying defaults', async () => {
    const r = await runYaml(
      `
dag:
  start_at: d
  steps:
    d: {type: task, command: funcs.ts:withDefaults, returns: [a, b, c], next: success}
`,
      { 'funcs.ts': FUNCS, 'params.yaml': PARAMS },
      { params: 'params.yaml' },
    );
    expect(r.status).toBe('SUCCESS');
    expect(values(r.runLog.parameters)).toMatchObject({ a: 10, b: 'dflt', c: 1 });
    expect(Object.keys(step(r.runLog, 'd').attempts[0]!.input_parameters).sort()).toEqual(['nested', 'x']);
  });

  it('a missing parameter fails the step, naming it', async () => {
    const r = await runYaml(
      `
dag:
  start_at: n
  steps:
    n: {type: task, command: funcs.ts:needs, returns: [y], next: success}
`,
      { 'funcs.ts': FUNCS, 'params.yaml': PARAMS },
      { params: 'params.yaml' },
    );
    expect(r.status).toBe('FAIL');
    expect(step(r.runLog, 'n').message).toContain("'not_there'");
  });

  it('shell steps get parameters as env vars and return exported ones', async () => {
    const r = await runYaml(
      `
dag:
  start_at: sh
  steps:
    sh:
      type: task
      command_type: shell
      command: |
        test "$x" = "10" || { echo "x=$x" >&2; exit 1; }
        test "$greeting" = "hello" || exit 2
        test "$nested" = '{"a": 1, "b": [1, 2]}' || { echo "nested=$nested" >&2; exit 3; }
        export count=7
        export label="plain words"
        export listed='[1, 2]'
      returns: [count, label, listed]
      next: ts
    ts: {type: task, command: funcs.ts:pair, returns: [seen], next: success}
`,
      { 'funcs.ts': FUNCS, 'params.yaml': PARAMS },
      { params: 'params.yaml' },
    );
    expect(step(r.runLog, 'sh').message).toBe('');
    expect(step(r.runLog, 'ts').message).toBe('');
    expect(r.status).toBe('SUCCESS');
    expect(values(r.runLog.parameters)).toMatchObject({ count: 7, label: 'plain words', listed: [1, 2], seen: [7, 'plain words'] });
  });

  it('object kind: a Map returned by one TS step comes back as the same Map in the next', async () => {
    const r = await runYaml(
      `
dag:
  start_at: make
  steps:
    make: {type: task, command: funcs.ts:makeMap, returns: [{name: model, kind: object}], next: use}
    use: {type: task, command: funcs.ts:useMap, returns: [a, b], next: success}
`,
      { 'funcs.ts': FUNCS },
    );
    expect(step(r.runLog, 'use').message).toBe('');
    expect(r.status).toBe('SUCCESS');
    const model = r.runLog.parameters.model!;
    expect(model.kind).toBe('object');
    expect(typeof model.value).toBe('string');
    expect(values(r.runLog.parameters)).toMatchObject({ a: 1, b: [2, 3] });
    expect(step(r.runLog, 'use').attempts[0]!.input_parameters.model).toEqual(model);
  });

  it('a non-JSON value returned as json kind fails the step', async () => {
    const r = await runYaml(
      `
dag:
  start_at: make
  steps:
    make: {type: task, command: funcs.ts:makeMap, returns: [model], next: success}
`,
      { 'funcs.ts': FUNCS },
    );
    expect(r.status).toBe('FAIL');
    expect(step(r.runLog, 'make').message).toMatch(/model.*not a JSON value/);
  });

  it('metric kind: recorded in user_defined_metrics and in the final parameters', async () => {
    const r = await runYaml(
      `
dag:
  start_at: s
  steps:
    s: {type: task, command: funcs.ts:score, returns: [{name: accuracy, kind: metric}, note], next: sh}
    sh:
      type: task
      command_type: shell
      command: export loss=0.25
      returns: [{name: loss, kind: metric}]
      next: success
`,
      { 'funcs.ts': FUNCS },
    );
    expect(r.status).toBe('SUCCESS');
    const a = step(r.runLog, 's').attempts[0]!;
    expect(a.user_defined_metrics).toEqual({ accuracy: { kind: 'metric', value: 0.93 } });
    expect(a.output_parameters.note).toEqual({ kind: 'json', value: 'ok' });
    expect(step(r.runLog, 'sh').attempts[0]!.user_defined_metrics).toEqual({ loss: { kind: 'metric', value: 0.25 } });
    expect(r.runLog.parameters.accuracy).toEqual({ kind: 'metric', value: 0.93 });
    expect(r.runLog.parameters.loss).toEqual({ kind: 'metric', value: 0.25 });
  });

  it('a step sees the parameters returned by earlier steps, later returns overwrite', async () => {
    const r = await runYaml(`
dag:
  start_at: a
  steps:
    a: {type: task, command_type: shell, command: 'export x=1', returns: [x], next: b}
    b: {type: task, command_type: shell, command: 'export x=$((x + 1))', returns: [x], next: c}
    c: {type: task, command_type: shell, command: 'test "$x" = 2', next: success}
`);
    expect(r.status).toBe('SUCCESS');
    expect(values(r.runLog.parameters)).toEqual({ x: 2 });
    expect(values(step(r.runLog, 'b').attempts[0]!.input_parameters)).toEqual({ x: 1 });
  });
});
