/**
 * `notebook` tasks with real Jupyter kernels: Python's ipykernel (Debian's python3-ipykernel) and
 * Deno's TypeScript kernel (`deno jupyter --install`), on test/fixtures/notebooks/. The Deno
 * tests are skipped where its kernel is not installed, except under CI, which installs it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ParameterKind } from '../../src/graph/model.js';
import { ForeignObject } from '../../src/params/objects.js';
import { executedNotebookName, notebookTask } from '../../src/tasks/notebook.js';
import { failure, paramView, sink, taskInput, taskNode } from './_helpers.js';

const CWD = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../fixtures/notebooks');

interface Cell {
  cell_type: string;
  source: string | string[];
  metadata: { tags?: string[] };
  outputs?: Array<{ output_type: string; text?: string | string[]; ename?: string }>;
}
const text = (s: string | string[] | undefined) => (Array.isArray(s) ? s.join('') : (s ?? ''));

function run(
  command: string,
  opts: { values?: Record<string, unknown>; returns?: Array<string | [string, ParameterKind]>; env?: Record<string, string>; signal?: AbortSignal; internalName?: string } = {},
) {
  const node = taskNode('notebook', command);
  node.returns = (opts.returns ?? []).map((r) => (typeof r === 'string' ? { name: r, kind: 'json' as const } : { name: r[0], kind: r[1] }));
  const output = sink();
  const saved = new Map<string, Buffer>();
  const input = {
    ...taskInput(node, { params: paramView(opts.values ?? {}), cwd: CWD, output, env: opts.env, signal: opts.signal }),
    internalName: opts.internalName ?? 'step',
    saveToCatalog: async (rel: string, data: Uint8Array | string) => void saved.set(rel, Buffer.from(data)),
  };
  const promise = notebookTask.run(input);
  const executed = (): { cells: Cell[]; metadata: Record<string, unknown> } => {
    const [only] = [...saved.values()];
    if (!only) throw new Error(`nothing saved to the catalog (${[...saved.keys()].join(', ')})`);
    return JSON.parse(only.toString('utf8'));
  };
  return { promise, output, saved, executed };
}

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

describe('notebook task (Python kernel)', () => {
  const tricky = `it's "quoted" \\ ''' \n\u2028 é ${'$'}{x}`;

  it('injects parameters after the cell tagged parameters and reads returns from the kernel', async () => {
    const r = run('params.ipynb', { values: { a: 3, name: tricky, unused: [1, { b: null }] }, returns: ['total', 'greeting', 'nested', 'score'] });
    const out = await r.promise;
    expect(out.returns).toEqual({ total: 6, greeting: `hello ${tricky}`, nested: { list: [1, 2.5, null, true], name: tricky }, score: 0.6 });
    expect(out.consumed).toEqual(['a', 'name', 'unused']);
    expect(r.output.out()).toContain('total=6\n');

    // the executed copy, with outputs, keyed by notebook and step
    expect([...r.saved.keys()]).toEqual(['params-step_out.ipynb']);
    const cells = r.executed().cells;
    expect(cells.map((c) => c.metadata.tags ?? [])).toEqual([[], ['parameters'], ['injected-parameters'], [], []]);
    expect(text(cells[2]!.source)).toContain('a = 3\n');
    expect(text(cells[3]!.outputs![0]!.text)).toBe('total=6\n');
  });

  it('injects at the top when no cell is tagged parameters, skipping names that are not identifiers', async () => {
    const r = run('no_tag.ipynb', { values: { value: 21, 'not-a-name': 1, class: 2 }, returns: ['doubled'] });
    expect(await r.promise).toEqual({ returns: { doubled: 42 }, consumed: ['value'] });
    expect(r.executed().cells[0]!.metadata.tags).toEqual(['injected-parameters']);
  });

  it('fails on a failing cell with its error, its traceback on stderr, and keeps the executed copy', async () => {
    const r = run('fail.ipynb');
    expect((await failure(r.promise)).message).toBe('cell 2 of fail.ipynb failed: ValueError: bad cell');
    expect(r.output.out()).toContain('before the failure');
    expect(r.output.out()).not.toContain('never printed');
    expect(r.output.err()).toMatch(/ValueError\s+Traceback[\s\S]*----> 2\s+raise ValueError\("bad cell"\)[\s\S]*ValueError: bad cell/);
    const cells = r.executed().cells;
    expect(cells[2]!.outputs!.find((o) => o.output_type === 'error')?.ename).toBe('ValueError');
  });

  it('fails naming a parameter the notebook uses but nobody set', async () => {
    const r = run('undefined.ipynb', { values: { alpha: 2 } });
    const err = await failure(r.promise);
    expect(err.message).toBe("cell 2 of undefined.ipynb failed: NameError: name 'threshold' is not defined");
    expect(err.consumed).toEqual(['alpha']);
  });

  it('fails naming returns the notebook did not set', async () => {
    const err = await failure(run('params.ipynb', { values: { a: 1 }, returns: ['total', 'nothere', 'nor_this'] }).promise);
    expect(err.message).toBe("the notebook did not set 'nothere', 'nor_this' declared in returns");
  });

  it('pickles object returns, refuses non-JSON json returns, and sees the task env', async () => {
    const env = { MY_SECRET: 's3', RUNNABLE_MAP_VARIABLE: '{"chunk": 1}' };
    const ok = await run('objects.ipynb', { returns: [['thing', 'object'], 'secret', 'map_var'], env }).promise;
    expect(ok.returns['thing']).toBeInstanceOf(ForeignObject);
    expect((ok.returns['thing'] as ForeignObject).bytes[0]).toBe(0x80);
    expect(ok.returns['secret']).toBe('s3');
    expect(ok.returns['map_var']).toBe('{"chunk": 1}');
    const err = await failure(run('objects.ipynb', { returns: ['bad'] }).promise);
    expect(err.message).toMatch(/returned 'bad' is not a JSON value \(.*set.*\); declare it with kind: object/);
  });

  it('starts a kernel again that died before answering (no user code had run)', async () => {
    // a real kernelspec whose program exits at its first start, then runs ipykernel
    const dir = mkdtempSync(path.join(tmpdir(), 'runnable-flaky-kernel-'));
    const kernelDir = path.join(dir, 'kernels', 'flaky');
    mkdirSync(kernelDir, { recursive: true });
    const launcher = path.join(dir, 'launch.sh');
    writeFileSync(launcher, `#!/bin/sh\nif [ ! -e "${dir}/started" ]; then touch "${dir}/started"; echo "first start fails" >&2; exit 3; fi\nexec /usr/bin/python3 -m ipykernel_launcher -f "$1"\n`, { mode: 0o755 });
    writeFileSync(path.join(kernelDir, 'kernel.json'), JSON.stringify({ argv: [launcher, '{connection_file}'], display_name: 'flaky', language: 'python' }));
    const nb = JSON.parse(readFileSync(path.join(CWD, 'square.ipynb'), 'utf8')) as { metadata: { kernelspec: Record<string, string> } };
    nb.metadata.kernelspec = { name: 'flaky', language: 'python', display_name: 'flaky' };
    writeFileSync(path.join(dir, 'square.ipynb'), JSON.stringify(nb));
    try {
      const r = run(path.join(dir, 'square.ipynb'), { values: { item: 7 }, returns: ['squared'], env: { JUPYTER_PATH: dir } });
      expect((await r.promise).returns).toEqual({ squared: 49 });
      expect(r.output.err()).toMatch(/the flaky kernel did not start \(.*\); starting it again/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps output that reaches the client long after the cell\'s reply (a loaded machine)', async () => {
    // Under load a kernel's iopub messages (the cell's output, then "idle") can arrive seconds
    // after its shell reply; nbclient waited 4 s (iopub_timeout) for them and then dropped the
    // output with a warning. This kernel holds back every iopub message from the cell's first
    // output on for 6 s (in order, on one sender thread), without blocking the kernel itself.
    const dir = mkdtempSync(path.join(tmpdir(), 'runnable-slow-iopub-'));
    const kernelDir = path.join(dir, 'kernels', 'slowio');
    mkdirSync(kernelDir, { recursive: true });
    const patch = [
      'import queue, threading, time, ipykernel.iostream as io',
      'orig = io.IOPubThread._really_send',
      'q = queue.Queue(); state = {"held": False}',
      'def sender():',
      '    time.sleep(6)',
      '    while True:',
      '        self, msg, a, k = q.get(); orig(self, msg, *a, **k)',
      'def send(self, msg, *a, **k):',
      '    if not state["held"] and any(isinstance(p, bytes) and b\'"stream"\' in p for p in msg):',
      '        state["held"] = True; threading.Thread(target=sender, daemon=True).start()',
      '    if state["held"]: q.put((self, msg, a, k))',
      '    else: orig(self, msg, *a, **k)',
      'io.IOPubThread._really_send = send',
      'from ipykernel import kernelapp; kernelapp.launch_new_instance()',
    ].join('\n');
    writeFileSync(path.join(dir, 'kernel.py'), patch);
    writeFileSync(path.join(kernelDir, 'kernel.json'), JSON.stringify({ argv: ['/usr/bin/python3', path.join(dir, 'kernel.py'), '-f', '{connection_file}'], display_name: 'slowio', language: 'python' }));
    const nb = JSON.parse(readFileSync(path.join(CWD, 'square.ipynb'), 'utf8')) as { metadata: { kernelspec: Record<string, string> } };
    nb.metadata.kernelspec = { name: 'slowio', language: 'python', display_name: 'slowio' };
    writeFileSync(path.join(dir, 'square.ipynb'), JSON.stringify(nb));
    try {
      const r = run(path.join(dir, 'square.ipynb'), { values: { item: 7 }, returns: ['squared'], env: { JUPYTER_PATH: dir } });
      expect((await r.promise).returns).toEqual({ squared: 49 });
      expect(r.output.out()).toContain('squared 7 -> 49');
      expect(r.output.err()).not.toMatch(/Timeout waiting for IOPub/);
      const cells = r.executed() as unknown as { cells: Cell[] };
      expect(text(cells.cells.at(-1)!.outputs![0]!.text)).toContain('squared 7 -> 49');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps output that a kernel sends after saying the cell is done (as Deno\'s does under load)', async () => {
    // Deno's kernel forwards its stdout pipe on its own schedule: under load a cell's output
    // came after its "idle" status, was dropped, or showed under the next cell. This kernel
    // sends every stream message 2 s late (in order, from its IO thread), everything else at once.
    const dir = mkdtempSync(path.join(tmpdir(), 'runnable-late-stream-'));
    const kernelDir = path.join(dir, 'kernels', 'latestream');
    mkdirSync(kernelDir, { recursive: true });
    const patch = [
      'import queue, threading, time, ipykernel.iostream as io',
      'orig = io.IOPubThread._really_send',
      'q = queue.Queue()',
      'def sender():',
      '    while True:',
      '        due, self, msg, a, k = q.get(); time.sleep(max(0, due - time.monotonic()))',
      '        self.schedule(lambda self=self, msg=msg, a=a, k=k: orig(self, msg, *a, **k))',
      'threading.Thread(target=sender, daemon=True).start()',
      'def send(self, msg, *a, **k):',
      '    if any(isinstance(p, bytes) and b\'"stream"\' in p for p in msg): q.put((time.monotonic() + 2, self, msg, a, k))',
      '    else: orig(self, msg, *a, **k)',
      'io.IOPubThread._really_send = send',
      'from ipykernel import kernelapp; kernelapp.launch_new_instance()',
    ].join('\n');
    writeFileSync(path.join(dir, 'kernel.py'), patch);
    writeFileSync(path.join(kernelDir, 'kernel.json'), JSON.stringify({ argv: ['/usr/bin/python3', path.join(dir, 'kernel.py'), '-f', '{connection_file}'], display_name: 'latestream', language: 'python' }));
    const nb = JSON.parse(readFileSync(path.join(CWD, 'fail.ipynb'), 'utf8')) as { metadata: { kernelspec: Record<string, string> } };
    nb.metadata.kernelspec = { name: 'latestream', language: 'python', display_name: 'latestream' };
    writeFileSync(path.join(dir, 'fail.ipynb'), JSON.stringify(nb));
    try {
      const r = run(path.join(dir, 'fail.ipynb'), { env: { JUPYTER_PATH: dir } });
      expect((await failure(r.promise)).message).toMatch(/^cell 2 of \S*fail\.ipynb failed: ValueError: bad cell$/);
      expect(r.output.out()).toContain('before the failure');
      expect(r.output.out()).not.toContain('runnable-output-marker');
      const cells = r.executed().cells;
      expect(cells.flatMap((c) => (c.outputs ?? []).map((o) => text(o.text))).join('')).toContain('before the failure');
      expect(JSON.stringify(cells)).not.toContain('runnable-output-marker');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a failed cell: the output marker is asked for again when the kernel aborted it (ipykernel, loaded machine)', async () => {
    // ipykernel aborts execute requests that reach it while it stops after a failed cell
    // (stop_on_error); on a loaded machine the request that collects the cell's late output came
    // in that window and the step waited for its marker for ever. This kernel keeps aborting for
    // 3 s after an error, so the first marker request is always aborted.
    const dir = mkdtempSync(path.join(tmpdir(), 'runnable-abort-window-'));
    const kernelDir = path.join(dir, 'kernels', 'slowabort');
    mkdirSync(kernelDir, { recursive: true });
    writeFileSync(
      path.join(kernelDir, 'kernel.json'),
      JSON.stringify({ argv: ['/usr/bin/python3', '-m', 'ipykernel_launcher', '-f', '{connection_file}', '--IPythonKernel.stop_on_error_timeout=3'], display_name: 'slowabort', language: 'python' }),
    );
    const nb = JSON.parse(readFileSync(path.join(CWD, 'fail.ipynb'), 'utf8')) as { metadata: { kernelspec: Record<string, string> } };
    nb.metadata.kernelspec = { name: 'slowabort', language: 'python', display_name: 'slowabort' };
    writeFileSync(path.join(dir, 'fail.ipynb'), JSON.stringify(nb));
    try {
      const r = run(path.join(dir, 'fail.ipynb'), { env: { JUPYTER_PATH: dir } });
      expect((await failure(r.promise)).message).toMatch(/^cell 2 of \S*fail\.ipynb failed: ValueError: bad cell$/);
      expect(r.output.out()).toContain('before the failure');
      expect(r.output.out()).not.toContain('runnable-output-marker');
      expect(JSON.stringify(r.executed().cells)).not.toContain('runnable-output-marker');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shuts the kernel down on abort', async () => {
    const ac = new AbortController();
    const r = run('sleep.ipynb', { signal: ac.signal });
    let pid: number | undefined;
    while (!pid) {
      await new Promise((res) => setTimeout(res, 50));
      const m = /kernel pid (\d+)/.exec(r.output.out());
      if (m) pid = Number(m[1]);
    }
    expect(isRunning(pid)).toBe(true);
    ac.abort();
    expect((await failure(r.promise)).message).toBe('aborted');
    const deadline = Date.now() + 3_000;
    while (isRunning(pid) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    expect(isRunning(pid)).toBe(false);
  });
});

describe('notebook task (Deno TypeScript kernel)', () => {
  it('injects parameters matching let/const/var declarations and reads json and object returns', async () => {
    const label = `it's "x" \\ \u2028 \`${'$'}{y}\``;
    const r = run('typescript.ipynb', {
      values: { a: 5, label, flag: true, extra: { k: [1] } },
      returns: ['total', 'info', ['table', 'object'], ['when', 'object']],
    });
    const out = await r.promise;
    expect(out.returns).toEqual({ total: 15, info: { label, flag: true, items: [1, 2] }, table: new Map([['x', 1]]), when: new Date(0) });
    expect(out.consumed).toEqual(['a', 'label', 'flag', 'extra']);
    expect(r.output.out()).toBe('total 15\n');
    expect(r.output.err()).toBe(''); // the kernel's start-up warning is filtered out
    const injected = text(r.executed().cells[1]!.source);
    expect(injected).toContain('let a = 5;');
    expect(injected).toContain('const label = ');
    expect(injected).toContain('void (flag = true);');
  });

  it('fails on a failing cell with the error and its stack', async () => {
    const r = run('typescript_fail.ipynb');
    expect((await failure(r.promise)).message).toBe('cell 2 of typescript_fail.ipynb failed: Error: ts boom');
    expect(r.output.out()).toContain('before\n');
    expect(r.output.err()).toMatch(/Error: ts boom\n\s+at boom/);
  });
});

describe('notebook check and names', () => {
  it('names the executed copy by notebook and step, unique per iteration', () => {
    expect(executedNotebookName('examples/common/simple_notebook.ipynb', 'hello')).toBe('examples/common/simple_notebook-hello_out.ipynb');
    expect(executedNotebookName('nb.ipynb', 'map_state.1.execute_notebook')).toBe('nb-map_state.1.execute_notebook_out.ipynb');
    const spaced = executedNotebookName('nb.ipynb', 'hello notebook');
    expect(spaced).toMatch(/^nb-hello_notebook-[0-9a-f]{8}_out\.ipynb$/);
    expect(spaced).not.toBe(executedNotebookName('nb.ipynb', 'hello_notebook'));
    expect(executedNotebookName('../outside/nb.ipynb', 's')).toBe('nb-s_out.ipynb');
  });

  it('rejects a missing notebook and a kernel that is not installed before running', async () => {
    await expect(notebookTask.check!(taskNode('notebook', 'nope.ipynb'), CWD)).rejects.toThrow(/notebook nope.ipynb: not found/);
    await expect(notebookTask.check!(taskNode('notebook', 'params.ipynb'), CWD)).resolves.toBeUndefined();
  });
});
