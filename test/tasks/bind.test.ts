import { describe, expect, it } from 'vitest';
import { RunnableError } from '../../src/errors.js';
import { bindArguments, signatureOf } from '../../src/tasks/_bind.js';
import { TaskFailure } from '../../src/tasks/types.js';
import { paramView } from './_helpers.js';

/** Functions from exact source text, so the test does not depend on how vitest compiles this file. */
const src = (code: string): Function => (0, eval)(`(${code}\n)`);

describe('signatureOf', () => {
  const cases: [string, string, unknown][] = [
    ['declaration', 'function f(a, b) { return a }', ['a', 'b']],
    ['async function', 'async function f(a, b = 1) {}', ['a', 'b?']],
    ['arrow with parens', '(a, b) => a + b', ['a', 'b']],
    ['arrow without parens', 'a => a', ['a']],
    ['async arrow without parens', 'async a => a', ['a']],
    ['generator', 'function* g(a, b) { yield a }', ['a', 'b']],
    ['async generator', 'async function* g(a) {}', ['a']],
    ['anonymous function', 'function (x) {}', ['x']],
    ['rest gets nothing', 'function f(a, ...more) {}', ['a']],
    ['line comment inside', '(a) => a // done\n + 1', ['a']],
    ['no parameters', '() => 1', []],
  ];
  it.each(cases)('%s', (_, code, expected) => {
    const sig = signatureOf(src(code));
    expect(sig.kind).toBe('positional');
    expect(sig.slots.map((s) => s.name + (s.optional ? '?' : ''))).toEqual(expected);
  });

  it('reads method shorthand, computed, async, generator and class static methods', () => {
    const o = src(`{ m(a, b) {}, async n(c) {}, *g(d) {}, ['k'](e) {} }`) as unknown as Record<string, Function>;
    expect(signatureOf(o.m!).slots.map((s) => s.name)).toEqual(['a', 'b']);
    expect(signatureOf(o.n!).slots.map((s) => s.name)).toEqual(['c']);
    expect(signatureOf(o.g!).slots.map((s) => s.name)).toEqual(['d']);
    expect(signatureOf(o.k!).slots.map((s) => s.name)).toEqual(['e']);
    const K = src(`class K { static run(x, y = 2) {} static async *each(z) {} #p(q) {} static priv(q) { return this.prototype } }`) as unknown as {
      run: Function;
      each: Function;
    };
    expect(signatureOf(K.run).slots).toEqual([
      { name: 'x', optional: false },
      { name: 'y', optional: true },
    ]);
    expect(signatureOf(K.each).slots.map((s) => s.name)).toEqual(['z']);
    const priv = src(`class { #p(q, r) {} get() { return this.#p } }`) as unknown as new () => { get(): Function };
    expect(signatureOf(new priv().get()).slots.map((s) => s.name)).toEqual(['q', 'r']);
  });

  it('reads a single destructured object parameter', () => {
    expect(signatureOf(src('function f({ a, b = 2, c: renamed, "d": e = 1, ...rest }) {}'))).toEqual({
      kind: 'object',
      slots: [
        { name: 'a', optional: false },
        { name: 'b', optional: true },
        { name: 'c', optional: false },
        { name: 'd', optional: true },
      ],
      rest: true,
    });
    expect(signatureOf(src('({ a } = {}, ...more) => a')).kind).toBe('object');
  });

  it('rejects classes and destructuring among several parameters', () => {
    expect(() => signatureOf(src('class X { constructor(a) {} }'))).toThrow(RunnableError);
    expect(() => signatureOf(src('function f(a, { b }) {}'))).toThrow(/parameter 2 of .* is destructured/);
    expect(() => signatureOf(src('function f([a, b]) {}'))).toThrow(/destructured/);
  });

  it('accepts native functions without parameters and rejects those with', () => {
    expect(signatureOf((() => 1).bind(null)).slots).toEqual([]);
    expect(() => signatureOf(((a: number) => a).bind(null))).toThrow(/cannot read the parameter names/);
  });

  it('does not mistake a method called classify for a class', () => {
    const o = src('{ classify(a) {} }') as unknown as { classify: Function };
    expect(signatureOf(o.classify).slots.map((s) => s.name)).toEqual(['a']);
  });

  it('parses each function once', () => {
    const f = src('(a) => a');
    expect(signatureOf(f)).toBe(signatureOf(f));
  });
});

describe('bindArguments', () => {
  it('binds plain parameters by name and loads only those', async () => {
    const params = paramView({ b: 'bee', a: 1, unused: { big: true } });
    const bound = await bindArguments(src('function f(a, b) {}'), params);
    expect(bound).toEqual({ args: [1, 'bee'], consumed: ['a', 'b'] });
    expect(params.loaded.sort()).toEqual(['a', 'b']);
  });

  it('passes undefined for a missing parameter with a default, so the default applies', async () => {
    const f = src('function f(a, b = 10) { return a + b }');
    const bound = await bindArguments(f, paramView({ a: 1 }));
    expect(bound).toEqual({ args: [1, undefined], consumed: ['a'] });
    expect(f(...bound.args)).toBe(11);
  });

  it('fails naming every missing parameter and the function', async () => {
    const f = src('function train(data, lr, epochs = 3) {}');
    const err = await bindArguments(f, paramView({ lr: 0.1, other: 1 }), "function 'train'").catch((e) => e);
    expect(err).toBeInstanceOf(TaskFailure);
    expect(err.message).toBe("function 'train' needs parameter 'data', not set (parameters: lr, other)");
    const err2 = await bindArguments(f, paramView({})).catch((e) => e);
    expect(err2.message).toMatch(/^train needs parameters 'data', 'lr', not set \(parameters: none\)/);
  });

  it('builds one object for a destructured parameter, with defaults and rest', async () => {
    const f = src('function f({ a, b = 2, ...rest }) { return { a, b, rest } }');
    const bound = await bindArguments(f, paramView({ a: 1, x: 'ex', y: [1] }));
    expect(bound.args).toEqual([{ a: 1, x: 'ex', y: [1] }]);
    expect(bound.consumed).toEqual(['a', 'x', 'y']);
    expect(f(...bound.args)).toEqual({ a: 1, b: 2, rest: { x: 'ex', y: [1] } });
  });

  it('binds renamed properties by key', async () => {
    const f = src('({ a: x, b: y = 5 }) => [x, y]');
    const bound = await bindArguments(f, paramView({ a: 'A', x: 'not me' }));
    expect(bound).toEqual({ args: [{ a: 'A' }], consumed: ['a'] });
    expect(f(...bound.args)).toEqual(['A', 5]);
    await expect(bindArguments(f, paramView({ x: 1 }))).rejects.toThrow(/needs parameter 'a'/);
  });

  it('gives a rest parameter nothing', async () => {
    const f = src('(a, ...more) => more.length');
    const bound = await bindArguments(f, paramView({ a: 1, b: 2 }));
    expect(bound).toEqual({ args: [1], consumed: ['a'] });
  });

  it('binds nothing for a function without parameters', async () => {
    expect(await bindArguments(src('() => 1'), paramView({ a: 1 }))).toEqual({ args: [], consumed: [] });
  });
});
