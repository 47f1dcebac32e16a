/**
 * A map step's Python reducer (runnable's form): a Python expression giving a function, such as
 * `lambda *x: max(x)` or `max`, or a dotted `package.module.function`, called once per returned
 * parameter with the iterations' values as positional arguments. All parameters of one map
 * are reduced in one Python process (the shim's "reduce" mode).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ParameterKind } from '../graph/model.js';
import { ForeignObject } from '../params/objects.js';
import { pythonForTasks, SHIM } from './_python.js';
import { runHelper } from './_python_process.js';
import { decodeValues } from './python.js';

/** A reducer that is not a TS/JS module (`PATH:EXPORT`) is a Python one. */
export const isModuleReducer = (spec: string): boolean => /\.(m?ts|m?js)(:|$)/.test(spec);

export interface ToReduce {
  kind: ParameterKind;
  /** in iteration order; objects as loaded from the catalog */
  values: unknown[];
}

/** The reduced value of each parameter; throws an Error whose message says what went wrong. */
export async function reduceInPython(
  spec: string,
  cwd: string,
  params: Map<string, ToReduce>,
  signal: AbortSignal,
): Promise<Record<string, unknown>> {
  const python = await pythonForTasks();
  const dir = await mkdtemp(path.join(tmpdir(), 'runnable-reduce-'));
  let stderr = '';
  try {
    const values: Record<string, unknown> = {};
    let n = 0;
    for (const [name, { kind, values: list }] of params) {
      if (kind !== 'object') {
        values[name] = { kind, values: list };
        continue;
      }
      const paths: string[] = [];
      for (const v of list) {
        if (!(v instanceof ForeignObject) || v.format !== 'pickle') {
          throw new Error(`Python reducer '${spec}' cannot read '${name}': its objects were written by TypeScript tasks`);
        }
        const file = path.join(dir, `value-${n++}.pickle`);
        await writeFile(file, v.bytes);
        paths.push(file);
      }
      values[name] = { kind, paths };
    }
    const result = await runHelper({
      python: python.command,
      script: SHIM,
      request: { mode: 'reduce', reducer: spec, values, tmpdir: dir },
      input: {
        cwd,
        env: {},
        signal,
        output: {
          stdout: (c) => process.stderr.write(c),
          stderr: (c) => {
            stderr += typeof c === 'string' ? c : Buffer.from(c).toString('utf8');
            process.stderr.write(c);
          },
        },
      },
    });
    if (!result['ok']) {
      const tail = stderr.trim().split('\n').slice(-8).join('\n');
      throw new Error(`${String(result['error'])}${tail ? `\n${tail}` : ''}`);
    }
    return await decodeValues(result['reduced']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
