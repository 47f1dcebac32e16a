import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runInTaskContext, runOutsideTaskContext } from '../../src/tasks/_capture.js';
import { sink } from './_helpers.js';

describe('runInTaskContext', () => {
  it('returns what the function returns, sync or async', async () => {
    expect(runInTaskContext({ env: {}, output: sink() }, () => 7)).toBe(7);
    expect(await runInTaskContext({ env: {}, output: sink() }, async () => 8)).toBe(8);
  });

  it('sends writes to the sink only, with their callbacks, and decodes other encodings', async () => {
    const output = sink();
    await runInTaskContext({ env: {}, output }, async () => {
      await new Promise<void>((resolve) => process.stdout.write('one\n', () => resolve()));
      process.stdout.write('dHdvCg==', 'base64');
      process.stderr.write(new Uint8Array([104, 105]));
    });
    expect(output.out()).toBe('one\ntwo\n');
    expect(output.err()).toBe('hi');
  });

  it('lets a sink write to process.stdout without looping', () => {
    let calls = 0;
    const output = {
      stdout() {
        calls++;
        process.stdout.write(''); // goes to the real stream, not back into this sink
      },
      stderr() {},
    };
    runInTaskContext({ env: {}, output }, () => process.stdout.write('x'));
    expect(calls).toBe(1);
  });

  it('keeps env writes and deletes inside the task', () => {
    process.env.RT_CAPTURE_REAL = 'real';
    try {
      runInTaskContext({ env: { RT_CAPTURE_TASK: 'task' }, output: sink() }, () => {
        expect(process.env.RT_CAPTURE_TASK).toBe('task');
        process.env.RT_CAPTURE_NEW = 'new';
        delete process.env.RT_CAPTURE_REAL;
        expect(process.env.RT_CAPTURE_REAL).toBeUndefined();
        expect('RT_CAPTURE_REAL' in process.env).toBe(false);
        expect(Object.keys(process.env)).toContain('RT_CAPTURE_NEW');
        expect(Object.keys(process.env)).not.toContain('RT_CAPTURE_REAL');
        const child = spawnSync('bash', ['-c', 'printf "%s|%s|%s" "$RT_CAPTURE_TASK" "$RT_CAPTURE_NEW" "${RT_CAPTURE_REAL-gone}"']);
        expect(child.stdout.toString()).toBe('task|new|gone');
        runOutsideTaskContext(() => expect(process.env.RT_CAPTURE_TASK).toBeUndefined());
        // a task started inside another sees the outer task's env under its own
        runInTaskContext({ env: { INNER: '1' }, output: sink() }, () => {
          expect(process.env.RT_CAPTURE_NEW).toBe('new');
          expect(process.env.INNER).toBe('1');
        });
      });
      expect(process.env.RT_CAPTURE_REAL).toBe('real');
      expect(process.env.RT_CAPTURE_NEW).toBeUndefined();
      expect(process.env.RT_CAPTURE_TASK).toBeUndefined();
    } finally {
      delete process.env.RT_CAPTURE_REAL;
    }
  });

  it('leaves the real env writable outside tasks', () => {
    process.env.RT_CAPTURE_OUT = 'x';
    expect(process.env.RT_CAPTURE_OUT).toBe('x');
    delete process.env.RT_CAPTURE_OUT;
    expect('RT_CAPTURE_OUT' in process.env).toBe(false);
  });
});
