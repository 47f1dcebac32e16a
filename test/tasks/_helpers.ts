/** Test doubles for a task's inputs: a parameter view over a plain record and a collecting sink. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandType, ParameterKind, TaskNode } from '../../src/graph/model.js';
import type { Parameter } from '../../src/runlog/types.js';
import { expect } from 'vitest';
import { TaskFailure, type OutputSink, type ParamView, type TaskInput } from '../../src/tasks/types.js';

export const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/tasks');

/** Values are json parameters unless given as `{kind, value}` through `typed`. */
export function paramView(values: Record<string, unknown>, kinds: Record<string, ParameterKind> = {}): ParamView & { loaded: string[] } {
  const loaded: string[] = [];
  return {
    loaded,
    names: () => Object.keys(values),
    ownNames: () => Object.keys(values),
    get: (name): Parameter | undefined =>
      Object.hasOwn(values, name) ? { kind: kinds[name] ?? 'json', value: values[name] } : undefined,
    load: async (name) => {
      loaded.push(name);
      return values[name];
    },
  };
}

export interface CollectingSink extends OutputSink {
  out(): string;
  err(): string;
  chunks: { stream: 'stdout' | 'stderr'; at: number; data: Buffer }[];
}

export function sink(): CollectingSink {
  const chunks: CollectingSink['chunks'] = [];
  const add = (stream: 'stdout' | 'stderr') => (c: string | Uint8Array) =>
    chunks.push({ stream, at: Date.now(), data: Buffer.from(c as Uint8Array) });
  const text = (stream: 'stdout' | 'stderr') =>
    Buffer.concat(chunks.filter((c) => c.stream === stream).map((c) => c.data)).toString();
  return { chunks, stdout: add('stdout'), stderr: add('stderr'), out: () => text('stdout'), err: () => text('stderr') };
}

export function taskNode(commandType: CommandType, command: string, returns: string[] = []): TaskNode {
  return {
    type: 'task',
    name: 'step',
    internalName: 'step',
    next: 'success',
    overrides: {},
    commandType,
    command,
    returns: returns.map((name) => ({ name, kind: 'json' as const })),
    maxAttempts: 1,
    secrets: [],
    options: {},
  };
}

export function taskInput(
  node: TaskNode,
  opts: { params?: ParamView; env?: Record<string, string>; cwd?: string; output?: OutputSink; signal?: AbortSignal } = {},
): TaskInput {
  return {
    node,
    params: opts.params ?? paramView({}),
    env: opts.env ?? {},
    cwd: opts.cwd ?? fixtures,
    output: opts.output ?? sink(),
    signal: opts.signal ?? new AbortController().signal,
  };
}

/** The TaskFailure a task's promise rejects with (the test fails if it resolves or throws anything else). */
export async function failure(promise: Promise<unknown>): Promise<TaskFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TaskFailure);
  return err as TaskFailure;
}
