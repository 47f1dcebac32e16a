/**
 * Makes an in-process function behave like a process of its own: what it writes to
 * stdout/stderr goes to its task's OutputSink, and `process.env` shows its task's extra env vars
 * (secrets, RUNNABLE_RUN_ID, ...). Both are scoped with AsyncLocalStorage, so tasks running
 * concurrently in one process never see each other's output or env.
 *
 * `process.exit()` inside a task ends the task, not the runner (which holds the run and the
 * other tasks): it throws where it was called and tells the task's `onExit`, so the task fails
 * even when user code catches the throw.
 *
 * The patches are installed once, on the first task, and are inert outside a task's context.
 */
import { isHiddenSecret } from '../secrets/scope.js';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { OutputSink } from './types.js';

export interface TaskContext {
  /** env vars visible through process.env inside the task only */
  env: Record<string, string>;
  output: OutputSink;
  /** told when the task calls process.exit(code) */
  onExit?: (code: number | string | null | undefined) => void;
}

/** Thrown at a task's `process.exit()` call, to stop the task's code there as an exit would. */
export class TaskExit extends Error {
  constructor(readonly code: number | string | null | undefined) {
    super(`process.exit(${code ?? ''}) called`);
    this.name = 'TaskExit';
  }
}

interface Store {
  env: Record<string, string>;
  /** the task's own process.env writes/deletes (undefined = deleted), made on first write */
  writes: Map<string, string | undefined> | undefined;
  output: OutputSink;
  onExit: TaskContext['onExit'];
  /** set while the sink runs, so a sink that writes to process.stdout reaches the terminal */
  inSink: boolean;
}

const als = new AsyncLocalStorage<Store>();
let installed = false;

type Write = typeof process.stdout.write;
let rawStdout: Write | undefined;
let rawStderr: Write | undefined;

/** Runs `fn` as a task: its output goes to `ctx.output`, its process.env includes `ctx.env`. */
export function runInTaskContext<T>(ctx: TaskContext, fn: () => T): T {
  if (!installed) install();
  const outer = als.getStore();
  // A task started from inside another sees the outer task's env under its own.
  const env = outer ? { ...envOf(outer), ...ctx.env } : ctx.env;
  return als.run({ env, writes: undefined, output: ctx.output, onExit: ctx.onExit, inSink: false }, fn);
}

/** Runs `fn` outside any task context (engine work started from inside a task's callbacks). */
export function runOutsideTaskContext<T>(fn: () => T): T {
  return als.exit(fn);
}

/** The real terminal streams, bypassing the capture: for sinks that show output live. */
export const terminal = {
  stdout(chunk: string | Uint8Array): void {
    (rawStdout ?? process.stdout.write).call(process.stdout, chunk);
  },
  stderr(chunk: string | Uint8Array): void {
    (rawStderr ?? process.stderr.write).call(process.stderr, chunk);
  },
};

function install(): void {
  installed = true;
  rawStdout = process.stdout.write;
  rawStderr = process.stderr.write;
  process.stdout.write = captured(rawStdout, 'stdout');
  process.stderr.write = captured(rawStderr, 'stderr');
  process.env = envProxy(process.env);
  const rawExit = process.exit;
  process.exit = function (code?: number | string | null) {
    const store = als.getStore();
    if (!store) return Reflect.apply(rawExit, process, arguments);
    store.onExit?.(code);
    throw new TaskExit(code);
  } as typeof process.exit;
}

function captured(raw: Write, which: 'stdout' | 'stderr'): Write {
  return function (this: NodeJS.WriteStream, chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    const store = als.getStore();
    // eslint-disable-next-line prefer-rest-params
    if (!store || store.inSink) return Reflect.apply(raw, this, arguments);
    if (typeof encoding === 'function') [cb, encoding] = [encoding, undefined];
    const data =
      typeof chunk === 'string' && typeof encoding === 'string' && encoding !== 'utf8' && encoding !== 'utf-8'
        ? Buffer.from(chunk, encoding as BufferEncoding)
        : (chunk as string | Uint8Array);
    store.inSink = true;
    try {
      store.output[which](data);
    } finally {
      store.inSink = false;
    }
    // Streams call back asynchronously; callers such as `process.stdout.write(x, done)` rely on it.
    if (typeof cb === 'function') process.nextTick(cb as () => void);
    return true;
  } as Write;
}

function envOf(store: Store): Record<string, string> {
  if (!store.writes) return store.env;
  const env: Record<string, string> = { ...store.env };
  for (const [k, v] of store.writes) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/**
 * process.env as seen from the current task: the task's writes, then its env, then the real
 * env. Child processes spawned without an explicit env enumerate process.env, so they inherit
 * the task's view too. Outside a task every trap falls through to the real env.
 */
function envProxy(real: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  type Lookup = { found: true; value: string | undefined } | { found: false };
  const lookup = (store: Store, key: string): Lookup => {
    if (store.writes?.has(key)) return { found: true, value: store.writes.get(key) };
    if (Object.hasOwn(store.env, key)) return { found: true, value: store.env[key] };
    // another step's secret: not there for this one (secrets/scope.ts)
    if (isHiddenSecret(key)) return { found: true, value: undefined };
    return { found: false };
  };
  return new Proxy(real, {
    get(target, key) {
      const store = als.getStore();
      if (store && typeof key === 'string') {
        const hit = lookup(store, key);
        if (hit.found) return hit.value;
      }
      return Reflect.get(target, key);
    },
    has(target, key) {
      const store = als.getStore();
      if (store && typeof key === 'string') {
        const hit = lookup(store, key);
        if (hit.found) return hit.value !== undefined;
      }
      return Reflect.has(target, key);
    },
    set(target, key, value) {
      const store = als.getStore();
      if (!store || typeof key !== 'string') return Reflect.set(target, key, value);
      // Like a process, a task's env changes die with it and never reach other tasks.
      (store.writes ??= new Map()).set(key, String(value));
      return true;
    },
    deleteProperty(target, key) {
      const store = als.getStore();
      if (!store || typeof key !== 'string') return Reflect.deleteProperty(target, key);
      (store.writes ??= new Map()).set(key, undefined);
      return true;
    },
    ownKeys(target) {
      const store = als.getStore();
      const keys = Reflect.ownKeys(target);
      if (!store) return keys;
      const all = new Set<string | symbol>(keys.filter((k) => typeof k !== 'string' || !isHiddenSecret(k)));
      for (const k of Object.keys(store.env)) all.add(k);
      if (store.writes) for (const [k, v] of store.writes) v === undefined ? all.delete(k) : all.add(k);
      return [...all];
    },
    getOwnPropertyDescriptor(target, key) {
      const store = als.getStore();
      if (store && typeof key === 'string') {
        const hit = lookup(store, key);
        if (hit.found) {
          return hit.value === undefined ? undefined : { value: hit.value, writable: true, enumerable: true, configurable: true };
        }
      }
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
  });
}
