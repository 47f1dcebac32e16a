/**
 * `python` tasks with a real interpreter (the one _python.ts finds: RUNNABLE_PYTHON, else
 * /usr/bin/python3 with Debian's pydantic), on test/fixtures/python/pyfix/funcs.py.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ForeignObject } from '../../src/params/objects.js';
import { candidates, probe, pythonForTasks, resetPythonProbes } from '../../src/tasks/_python.js';
import { pythonTask } from '../../src/tasks/python.js';
import type { ParamView } from '../../src/tasks/types.js';
import { failure, paramView, sink, taskInput, taskNode } from './_helpers.js';

const CWD = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../fixtures/python');

function run(
  command: string,
  opts: { values?: Record<string, unknown>; params?: ParamView; returns?: Array<string | { name: string; kind: 'json' | 'object' | 'metric' }>; env?: Record<string, string>; signal?: AbortSignal } = {},
) {
  const node = taskNode('python', command);
  node.returns = (opts.returns ?? []).map((r) => (typeof r === 'string' ? { name: r, kind: 'json' as const } : r));
  const output = sink();
  const promise = pythonTask.run(
    // no __pycache__ left in the fixtures
    taskInput(node, { params: opts.params ?? paramView(opts.values ?? {}), cwd: CWD, output, env: { PYTHONDONTWRITEBYTECODE: '1', ...opts.env }, signal: opts.signal }),
  );
  return { promise, output };
}

describe('python task', () => {
  it('imports package.module.function from the working directory and streams its output', async () => {
    const { promise, output } = run('pyfix.funcs.hello');
    expect(await promise).toEqual({ returns: {}, consumed: [] });
    expect(output.out()).toBe('Hello World!\n');
    expect(output.err()).toBe('to stderr\n');
  });

  it('binds by name and respects defaults', async () => {
    const { promise } = run('pyfix.funcs.add', { values: { a: 1, c: 2, unrelated: 'x' }, returns: ['sum'] });
    expect(await promise).toEqual({ returns: { sum: 13 }, consumed: ['a', 'c'] });
  });

  it('casts values to annotated classes and passes others as found', async () => {
    const { promise } = run('pyfix.funcs.echo_types', {
      values: { i: '5', f: 1, s: 3, lst: [1], d: { a: 1 }, opt: 4, free: { z: [1] } },
      returns: ['types'],
    });
    expect((await promise).returns).toEqual({ types: ['int', 'float', 'str', 'list', 'dict', 4, { z: [1] }] });
  });

  it('names every missing parameter that has no default', async () => {
    const err = await failure(run('pyfix.funcs.needs_two', { values: { third: 1 } }).promise);
    expect(err.message).toBe("function 'needs_two' needs parameters 'first', 'second', not set (parameters: third)");
  });

  it('validates a pydantic-model parameter from its dict, ignoring extra keys', async () => {
    const { promise } = run('pyfix.funcs.model_param', { values: { pydantic_param: { x: 10, foo: 'bar', extra: true } }, returns: ['m'] });
    expect((await promise).returns).toEqual({ m: { x: 20, foo: 'BAR' } });
    const err = await failure(run('pyfix.funcs.model_param', { values: { pydantic_param: { x: 'ten' } } }).promise);
    expect(err.message).toContain("parameter 'pydantic_param' does not fit ComplexParams");
  });

  it('gives **kwargs and argparse.Namespace the remaining parameters', async () => {
    const values = { integer: 1, floater: 3.14, stringer: 'hello' };
    const kw = await run('pyfix.funcs.with_kwargs', { values, returns: ['names', 'integer'] }).promise;
    expect(kw).toEqual({ returns: { names: ['floater', 'stringer'], integer: 1 }, consumed: ['integer', 'floater', 'stringer'] });
    const ns = await run('pyfix.funcs.with_namespace', { values, returns: ['names'] }).promise;
    expect(ns.returns).toEqual({ names: ['floater', 'stringer'] });
  });

  it('maps a tuple to the returns by position and a single value to one name', async () => {
    expect((await run('pyfix.funcs.pair', { values: { a: 2 }, returns: ['x', 'y'] }).promise).returns).toEqual({ x: 2, y: 4 });
    expect((await run('pyfix.funcs.pair', { values: { a: 2 }, returns: ['both'] }).promise).returns).toEqual({ both: [2, 4] });
    const err = await failure(run('pyfix.funcs.single_tuple_for_three', { returns: ['a', 'b', 'c'] }).promise);
    expect(err.message).toContain('returned 2 value(s), but returns declares 3 (a, b, c)');
  });

  it('returns pydantic models as JSON and refuses values that are not JSON', async () => {
    expect((await run('pyfix.funcs.returns_model', { returns: ['m'] }).promise).returns).toEqual({ m: { x: 1, foo: 'bar' } });
    const err = await failure(run('pyfix.funcs.not_json', { returns: ['s'] }).promise);
    expect(err.message).toMatch(/returned 's' is not a JSON value .*set.*kind: object/);
  });

  it('awaits async functions', async () => {
    expect((await run('pyfix.funcs.async_double', { values: { a: 4 }, returns: ['d'] }).promise).returns).toEqual({ d: 8 });
  });

  it('pickles object returns and unpickles them for the next python task', async () => {
    const first = await run('pyfix.funcs.make_counter', { values: { start: 41 }, returns: [{ name: 'counter', kind: 'object' }, 'start'] }).promise;
    const counter = first.returns['counter'];
    expect(counter).toBeInstanceOf(ForeignObject);
    expect((counter as ForeignObject).format).toBe('pickle');
    expect((counter as ForeignObject).bytes[0]).toBe(0x80); // pickle protocol marker
    // the engine hands the stored object back through ParamView.load
    const params = paramView({ counter: '.objects/_root/counter.pickle', start: 1 }, { counter: 'object' });
    params.load = async (name) => (name === 'counter' ? counter : 1);
    const second = await run('pyfix.funcs.use_counter', { params, returns: ['n'] }).promise;
    expect(second).toEqual({ returns: { n: 43 }, consumed: ['counter', 'start'] });
  });

  it('refuses an object another language wrote, naming it', async () => {
    const params = paramView({ counter: '.objects/_root/counter.v8', start: 1 }, { counter: 'object' });
    params.load = async () => new Map([[1, 2]]);
    const err = await failure(run('pyfix.funcs.use_counter', { params }).promise);
    expect(err.message).toContain("parameter 'counter' is an object written by a TypeScript task");
  });

  it('fails with the exception as message and its traceback (user frames only) on stderr', async () => {
    const { promise, output } = run('pyfix.funcs.fail_deep');
    const err = await failure(promise);
    expect(err.message).toBe('ValueError: deep failure');
    expect(output.err()).toMatch(/Traceback \(most recent call last\):\n {2}File ".*pyfix\/funcs.py", line \d+, in fail_deep/);
    expect(output.err()).toContain('raise ValueError("deep failure")');
    expect(output.err()).not.toContain('runnable_shim.py');
  });

  it('explains a module that cannot be imported and an attribute that is not a function', async () => {
    expect((await failure(run('pyfix.nope.f').promise)).message).toContain("cannot import module 'pyfix.nope'");
    expect((await failure(run('pyfix.funcs.missing').promise)).message).toBe("module 'pyfix.funcs' has no attribute 'missing' (command 'pyfix.funcs.missing')");
    expect((await failure(run('pyfix.funcs.not_a_function').promise)).message).toBe("'pyfix.funcs.not_a_function' is a int, not a function");
  });

  it('sees the task env (secrets, run id) as environment variables', async () => {
    const { promise } = run('pyfix.funcs.read_env', { returns: ['secret', 'run_id'], env: { MY_SECRET: 's3cr3t', RUNNABLE_RUN_ID: 'r-1' } });
    expect((await promise).returns).toEqual({ secret: 's3cr3t', run_id: 'r-1' });
  });

  it('stops the process on abort', async () => {
    const ac = new AbortController();
    const { promise, output } = run('pyfix.funcs.sleep_forever', { signal: ac.signal });
    while (!output.out().includes('sleeping')) await new Promise((r) => setTimeout(r, 20));
    const t = Date.now();
    ac.abort();
    expect((await failure(promise)).message).toBe('aborted');
    expect(Date.now() - t).toBeLessThan(30_000); // sleep_forever never ends by itself
  });
});

describe('python interpreter', () => {
  it('prefers RUNNABLE_PYTHON, then the virtualenv, /usr/bin/python3 and python3', () => {
    expect(candidates({ RUNNABLE_PYTHON: '/opt/py/bin/python' })).toEqual({ list: ['/opt/py/bin/python'], explicit: true });
    expect(candidates({ VIRTUAL_ENV: '/venv' }).list).toEqual(['/venv/bin/python', '/usr/bin/python3', 'python3']);
  });

  it('says what to install when no Python works', async () => {
    resetPythonProbes();
    await expect(pythonForTasks({ RUNNABLE_PYTHON: '/nonexistent/python3' })).rejects.toThrow(
      /python tasks need Python 3\.8\+ and none was usable \(\/nonexistent\/python3 not found\): fix RUNNABLE_PYTHON/,
    );
    const facts = await probe((await pythonForTasks()).command);
    expect(typeof facts === 'object' && facts.version[0]).toBe(3);
  });

  it('ships the shim next to the compiled module', () => {
    const shim = new URL('../../src/tasks/python/runnable_shim.py', import.meta.url);
    expect(readFileSync(shim, 'utf8')).toContain('def bind(');
  });
});
