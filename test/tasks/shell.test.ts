import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { shellTask } from '../../src/tasks/shell.js';
import { TaskFailure } from '../../src/tasks/types.js';
import { paramView, sink, taskInput, taskNode } from './_helpers.js';

const run = (
  script: string,
  opts: { values?: Record<string, unknown>; kinds?: Record<string, 'json' | 'object'>; returns?: string[]; env?: Record<string, string>; cwd?: string; signal?: AbortSignal } = {},
) => {
  const output = sink();
  const promise = shellTask.run(
    taskInput(taskNode('shell', script, opts.returns), {
      params: paramView(opts.values ?? {}, opts.kinds),
      env: opts.env,
      cwd: opts.cwd ?? tmpdir(),
      output,
      signal: opts.signal,
    }),
  );
  return { promise, output };
};

/** Alive and not a zombie (a container's PID 1 may never reap an orphan). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return true;
  }
}

describe('shell task', () => {
  it('passes parameters as env vars: strings raw, the rest as JSON spaced like Python json.dumps, objects not at all', async () => {
    const { promise, output } = run('printf "%s|%s|%s|%s|%s" "$s" "$n" "$o" "$b" "${obj-unset}"', {
      values: { s: 'hello world', n: 3, o: { a: [1, 'x'] }, b: true, obj: 'catalog/ref' },
      kinds: { obj: 'object' },
    });
    const out = await promise;
    expect(output.out()).toBe('hello world|3|{"a": [1, "x"]}|true|unset');
    expect(out.consumed).toEqual(['s', 'n', 'o', 'b']);
  });

  it('gives the task env over the parameters and inherits the user environment', async () => {
    const { promise, output } = run('printf "%s %s %s" "$RUNNABLE_RUN_ID" "$p" "$HOME"', {
      values: { p: 'param' },
      env: { RUNNABLE_RUN_ID: 'run-1', p: 'task env wins' },
    });
    await promise;
    expect(output.out()).toBe(`run-1 task env wins ${process.env.HOME}`);
  });

  it('reads returns from exported env vars, parsed like RUNNABLE_PRM_ values', async () => {
    const { promise } = run(`export x='{"a":[1,2]}'; export y=plain; export z=42; export multi=$'line1\\nline2=3'`, {
      returns: ['x', 'y', 'z', 'multi'],
    });
    expect((await promise).returns).toEqual({ x: { a: [1, 2] }, y: 'plain', z: 42, multi: 'line1\nline2=3' });
  });

  it('dumps the env when the script calls exit 0', async () => {
    expect((await run('export r=1; exit 0; export r=2', { returns: ['r'] }).promise).returns).toEqual({ r: 1 });
  });

  it('fails naming a return that is not exported', async () => {
    const err = await run('y=1; export x=2', { returns: ['x', 'y'] }).promise.catch((e) => e);
    expect(err).toBeInstanceOf(TaskFailure);
    expect(err.message).toMatch(/did not export 'y' declared in returns/);
  });

  it('fails when its own EXIT trap replaces the dump', async () => {
    await expect(run("trap 'true' EXIT; export x=1", { returns: ['x'] }).promise).rejects.toThrow(/EXIT trap did not run/);
  });

  it('fails with the exit code, with or without returns', async () => {
    await expect(run('echo partial; exit 3').promise).rejects.toThrow(new TaskFailure('exit code 3', []));
    await expect(run('export x=1; exit 3', { returns: ['x'] }).promise).rejects.toThrow(new TaskFailure('exit code 3', []));
    await expect(run('false', { returns: ['x'] }).promise).rejects.toThrow(new TaskFailure('exit code 1', []));
  });

  it('fails naming the signal that killed it', async () => {
    await expect(run('kill -9 $$').promise).rejects.toThrow(new TaskFailure('killed by SIGKILL', []));
  });

  it('passes hostile values through env vars without executing anything', async () => {
    const cwd = await mkdtemp(path.join(tmpdir(), 'rt-shell-'));
    const evil = `$(touch pwned1) \`touch pwned2\` "; touch pwned3; echo " ' ; touch pwned4 '\nline2 \\ $HOME`;
    const { promise, output } = run('printf "%s" "$v"; export back="$v"', {
      values: { v: evil, w: { nested: evil } },
      returns: ['back'],
      cwd,
    });
    const out = await promise;
    expect(output.out()).toBe(evil);
    expect(out.returns.back).toBe(evil);
    expect(await readdir(cwd)).toEqual([]);
  });

  it('streams stdout and stderr to the sink as they arrive', async () => {
    // the script waits for a file that the test creates only once it has seen the first lines:
    // output that were not streamed would never arrive while the step runs
    const go = path.join(await mkdtemp(path.join(tmpdir(), 'rt-shell-stream-')), 'go');
    const { promise, output } = run(`echo first; echo oops >&2; while [ ! -e "$GO" ]; do sleep 0.05; done; echo second`, { env: { GO: go } });
    let settled = false;
    void promise.finally(() => (settled = true));
    while (!(output.out().includes('first') && output.err().includes('oops'))) await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    await writeFile(go, '');
    await promise;
    expect(output.out()).toBe('first\nsecond\n');
    expect(output.err()).toBe('oops\n');
    const first = output.chunks.find((c) => c.data.toString().startsWith('first'))!;
    expect(Buffer.isBuffer(first.data)).toBe(true);
  });

  it('passes binary output through unchanged', async () => {
    const { promise, output } = run("printf '\\xff\\x00\\xfe'");
    await promise;
    expect(Buffer.concat(output.chunks.map((c) => c.data))).toEqual(Buffer.from([0xff, 0x00, 0xfe]));
  });

  it('kills the whole process group on abort, promptly', async () => {
    const controller = new AbortController();
    const { promise, output } = run('sleep 60 & echo $!; wait', { signal: controller.signal });
    while (!output.out().includes('\n')) await new Promise((r) => setTimeout(r, 20));
    const sleepPid = Number(output.out().trim());
    expect(sleepPid).toBeGreaterThan(0);
    const started = Date.now();
    controller.abort();
    await expect(promise).rejects.toThrow(new TaskFailure('aborted', []));
    // well before the 60 s the sleep would take, however loaded the machine
    expect(Date.now() - started).toBeLessThan(30_000);
    const deadline = Date.now() + 30_000;
    while (isRunning(sleepPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(isRunning(sleepPid)).toBe(false);
  });

  it('fails at once when already aborted', async () => {
    await expect(run('echo never', { signal: AbortSignal.abort() }).promise).rejects.toThrow(/^aborted$/);
  });

  it('does not wait for a background process that holds the pipes', async () => {
    const started = Date.now();
    const { promise } = run('sleep 120 & export x=1', { returns: ['x'] });
    expect((await promise).returns).toEqual({ x: 1 });
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('removes its env dump file', async () => {
    const before = (await readdir(tmpdir())).filter((f) => f.startsWith(`runnable-env-${process.pid}-`));
    await run('export x=1', { returns: ['x'] }).promise;
    await run('exit 2', { returns: ['x'] }).promise.catch(() => undefined);
    const after = (await readdir(tmpdir())).filter((f) => f.startsWith(`runnable-env-${process.pid}-`));
    expect(after).toEqual(before);
    expect(existsSync(path.join(tmpdir(), 'pwned1'))).toBe(false);
  });
});
