/**
 * `runnable --await-command [--ts|--tsx]`: a step process started before its step (by emulate's
 * launcher, src/executors/_prestart.ts). It loads what a step process runs (the step and fan
 * commands; with `--ts` the parser that binds a TS function's arguments, with `--tsx` tsx and
 * its loader thread too, which a module pipeline's steps need), then waits for one JSON line on fd 3:
 * `{"args": [...], "env": {...}}`. It takes `env` as its whole environment and `args` as its
 * command line, and bin/runnable.js runs them as if the process had been started with them.
 * The pipe closing with no line (the run ended first) ends the process with nothing done.
 */
import net from 'node:net';
import { AWAITED_COMMAND_FD as COMMAND_FD } from '../engine/launcher.js';

/** The command line to run, once it has come; undefined when none will. */
export async function awaitCommand(flags: readonly string[]): Promise<string[] | undefined> {
  await Promise.all([
    import('./execute-single-node.js'),
    import('./fan.js'),
    ...(flags.includes('--ts') || flags.includes('--tsx') ? [import('../tasks/index.js').then((tasks) => tasks.preloadTypeScript(flags.includes('--tsx')))] : []),
  ]);
  const line = await firstLine(COMMAND_FD);
  if (line === undefined) return undefined;
  const { args, env } = parseCommand(line);
  for (const name of Object.keys(process.env)) if (!Object.hasOwn(env, name)) delete process.env[name];
  Object.assign(process.env, env);
  // what a step's code sees of its process is what it would with `runnable ARGS...`
  process.argv.splice(2, process.argv.length - 2, ...args);
  return args;
}

function parseCommand(line: string): { args: string[]; env: Record<string, string> } {
  const value = JSON.parse(line) as { args?: unknown; env?: unknown };
  const { args, env } = value;
  const strings = (xs: unknown[]) => xs.every((x) => typeof x === 'string');
  if (!Array.isArray(args) || !strings(args) || env === null || typeof env !== 'object' || !strings(Object.values(env))) {
    throw new Error(`--await-command: expected {"args": [strings], "env": {name: string}} on fd ${COMMAND_FD}`);
  }
  return { args: args as string[], env: env as Record<string, string> };
}

/** The first line read from pipe `fd`, which is then closed (so none of the step's own children inherit it). */
function firstLine(fd: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const pipe = new net.Socket({ fd, readable: true, writable: false });
    let text = '';
    const done = (line: string | undefined) => {
      pipe.destroy();
      resolve(line);
    };
    pipe.setEncoding('utf8');
    pipe.on('data', (chunk: string) => {
      text += chunk;
      const end = text.indexOf('\n');
      if (end >= 0) done(text.slice(0, end));
    });
    pipe.on('end', () => done(text ? text : undefined));
    pipe.on('error', reject);
  });
}
