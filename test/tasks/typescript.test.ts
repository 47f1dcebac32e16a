import { Console } from 'node:console';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunnableError } from '../../src/errors.js';
import { typescriptTask } from '../../src/tasks/typescript.js';
import { TaskFailure } from '../../src/tasks/types.js';
import { paramView, sink, taskInput, taskNode } from './_helpers.js';

const run = (command: string, values: Record<string, unknown> = {}, returns: string[] = [], env: Record<string, string> = {}) => {
  const output = sink();
  const promise = typescriptTask.run(
    taskInput(taskNode('typescript', `functions.ts:${command}`, returns), { params: paramView(values), env, output }),
  );
  return { promise, output };
};
const returnsOf = async (command: string, values: Record<string, unknown>, returns: string[]) =>
  (await run(command, values, returns).promise).returns;

// vitest replaces the global console with its own; a CLI run has Node's, which writes through
// process.stdout/stderr. Restore that for these tests.
const vitestConsole = globalThis.console;
beforeAll(() => {
  globalThis.console = new Console({ stdout: process.stdout, stderr: process.stderr });
});
afterAll(() => {
  globalThis.console = vitestConsole;
});

describe('typescript task: binding', () => {
  it('binds plain parameters and reports what it consumed', async () => {
    const out = await run('plain', { b: 'x', a: 1, unused: 0 }, ['r']).promise;
    expect(out).toEqual({ returns: { r: '1-x' }, consumed: ['a', 'b'] });
  });

  it('lets defaults apply', async () => {
    expect(await returnsOf('withDefault', { a: 1 }, ['r'])).toEqual({ r: 11 });
    expect(await returnsOf('withDefault', { a: 1, b: 2 }, ['r'])).toEqual({ r: 3 });
  });

  it('builds a destructured object with defaults and rest', async () => {
    const out = await run('destructured', { a: 1, z: 'zed' }, ['r']).promise;
    expect(out.returns.r).toEqual({ a: 1, b: 2, rest: { z: 'zed' } });
    expect(out.consumed).toEqual(['a', 'z']);
  });

  it('binds renamed properties by key', async () => {
    expect(await returnsOf('renamed', { a: 7 }, ['r'])).toEqual({ r: [7, 5] });
  });

  it('awaits async functions and arrows, and runs class static methods', async () => {
    expect(await returnsOf('asyncDouble', { a: 4 }, ['r'])).toEqual({ r: 8 });
    expect(await returnsOf('arrow', { a: 4, b: 1 }, ['r'])).toEqual({ r: 5 });
    expect(await returnsOf('staticRun', { a: 4, b: 3 }, ['r'])).toEqual({ r: 12 });
  });

  it('fails naming the missing parameters', async () => {
    const err = await run('needsTwo', { second: 2 }).promise.catch((e) => e);
    expect(err).toBeInstanceOf(TaskFailure);
    expect(err.message).toBe("function 'needsTwo' needs parameter 'first', not set (parameters: second)");
  });

  it('runs the default export', async () => {
    const out = await typescriptTask.run(
      taskInput(taskNode('typescript', 'functions.ts', ['r']), { params: paramView({ name: 'n' }) }),
    );
    expect(out.returns).toEqual({ r: 'main n' });
  });

  it('runs a plain .mjs module', async () => {
    const out = await typescriptTask.run(
      taskInput(taskNode('typescript', 'plain.mjs:hello', ['r']), { params: paramView({ name: 'js' }) }),
    );
    expect(out.returns).toEqual({ r: 'hello js' });
  });
});

describe('typescript task: returns', () => {
  it('gives the whole value to a single name, and nothing when none is declared', async () => {
    expect(await returnsOf('pair', {}, ['p'])).toEqual({ p: [1, 'two'] });
    expect(await returnsOf('pair', {}, [])).toEqual({});
  });
  it('takes an array positionally', async () => {
    expect(await returnsOf('pair', {}, ['one', 'two'])).toEqual({ one: 1, two: 'two' });
  });
  it('takes an object by key', async () => {
    expect(await returnsOf('record', {}, ['y', 'x'])).toEqual({ y: 'why', x: 1 });
  });
  it('fails naming missing values', async () => {
    await expect(run('pair', {}, ['a', 'b', 'c']).promise).rejects.toThrow(
      "function 'pair' did not return 'c' (its array has 2 item(s))",
    );
    await expect(run('record', {}, ['x', 'w', 'v']).promise).rejects.toThrow("did not return 'w', 'v'");
    await expect(run('noop', {}, ['r']).promise).rejects.toThrow("function 'noop' returned nothing, but returns declares 'r'");
    await expect(run('noop', {}, ['r', 's']).promise).rejects.toThrow(/returned nothing.*return an array or an object/);
  });
});

describe('typescript task: failures', () => {
  it('turns a throw into a TaskFailure and writes the stack to stderr', async () => {
    const { promise, output } = run('thrower');
    const err = await promise.catch((e) => e);
    expect(err).toBeInstanceOf(TaskFailure);
    expect(err.message).toBe('TypeError: bad input');
    expect(output.err()).toMatch(/^TypeError: bad input\n\s+at thrower/);
  });

  it('rejects an export that is not a function', async () => {
    const err = await run('notAFunction').promise.catch((e) => e);
    expect(err).toBeInstanceOf(RunnableError);
    expect(err.code).toBe('E_COMMAND');
    expect(err.message).toBe("export 'notAFunction' of module functions.ts is a number, not a function");
  });

  it('rejects a missing export, listing the exports', async () => {
    await expect(run('helo').promise).rejects.toThrow(/module functions.ts has no export 'helo' \(exports: Steps, arrow, asyncDouble, /);
  });

  it('fails at once when aborted', async () => {
    const controller = new AbortController();
    const node = taskNode('typescript', 'functions.ts:tagged');
    const promise = typescriptTask.run(
      taskInput(node, { params: paramView({ tag: 'a', delay: 120_000 }), signal: controller.signal, output: sink() }),
    );
    setTimeout(() => controller.abort(), 20);
    const started = Date.now();
    await expect(promise).rejects.toThrow(/^aborted$/);
    // long before the function's own 120 s, however loaded the machine
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('checks the command before running', async () => {
    await expect(typescriptTask.check!(taskNode('typescript', 'functions.ts:plain'), (await import('./_helpers.js')).fixtures)).resolves.toBeUndefined();
    await expect(typescriptTask.check!(taskNode('typescript', 'nope.ts:plain'), '/tmp')).rejects.toThrow(RunnableError);
  });
});

describe('typescript task: output and env', () => {
  it('captures console.log, console.error and process.stdout.write into the sink', async () => {
    const { promise, output } = run('logs', { x: 'hi' }, ['r']);
    await promise;
    expect(output.out()).toBe('out hi\nraw bytes\n');
    expect(output.err()).toBe('err hi\n');
  });

  it('keeps concurrent tasks apart: env, env writes and output', async () => {
    const a = run('tagged', { tag: 'A', delay: 30 }, ['r'], { RUNNABLE_TAG: 'env-A' });
    const b = run('tagged', { tag: 'B', delay: 10 }, ['r'], { RUNNABLE_TAG: 'env-B' });
    const [ra, rb] = await Promise.all([a.promise, b.promise]);
    expect(ra.returns.r).toBe('env-A/A');
    expect(rb.returns.r).toBe('env-B/B');
    expect(a.output.out()).toBe('start A sees env-A\nend A sees env-A\n');
    expect(b.output.out()).toBe('start B sees env-B\nend B sees env-B\n');
    // outside any task the real env is untouched
    expect(process.env.RUNNABLE_TAG).toBeUndefined();
    expect(process.env.TASK_WRITE).toBeUndefined();
  });

  it('shows the task env to child processes and to enumeration', async () => {
    expect(await returnsOf('childEnv', {}, ['r'])).toEqual({ r: '' });
    const env = { SECRET_X: 'shh' };
    expect((await run('childEnv', {}, ['r'], env).promise).returns).toEqual({ r: 'shh' });
    expect((await run('envKeys', {}, ['r'], env).promise).returns).toEqual({ r: true });
    expect('SECRET_X' in process.env).toBe(false);
    expect(Object.keys(process.env)).not.toContain('SECRET_X');
  });
});
