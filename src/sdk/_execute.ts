/**
 * What `execute()` of an SDK pipeline and of an SDK job share: checked options, the module's
 * name, and the run driven with the CLI's reporter (views/reporter.ts: progress and summary on
 * stderr, the tasks' output on stdout) unless `quiet`, and the program's `observer`.
 */
import path from 'node:path';
import { bothObservers } from '../engine/context.js';
import type { Graph } from '../graph/model.js';
import type { DriveOptions, RunResult } from '../runner/execute.js';
import type { RunInputs } from '../runner/prepare.js';
import { checkKeys } from './_options.js';
import { LOG_LEVELS, parseLogLevel } from '../views/log-level.js';
import { displayFrom } from './_origin.js';
import type { PipelineExecuteOptions } from './pipeline.js';

/** Where an SDK pipeline or job was built, as its run log names it: the module, from `cwd`. */
export function sourceOf(origin: string | undefined, cwd: string, what: 'pipeline' | 'job'): { kind: 'module'; path: string } {
  return { kind: 'module', path: origin ? displayFrom(origin, cwd) : `<sdk ${what}>` };
}

/** `execute()`'s options, checked against `keys`, as the runner takes them (all but what to run). */
export function runInputsOf(opts: PipelineExecuteOptions, keys: readonly string[]): Omit<RunInputs, 'pipeline'> & { cwd: string } {
  checkKeys(opts, keys, undefined);
  const cwd = path.resolve(opts.cwd ?? process.cwd());
  return { configFile: opts.config, parametersFile: opts.parametersFile, runId: opts.runId, tag: opts.tag, cwd, env: opts.env };
}

/**
 * Runs `start` with the reporter (unless `quiet`) and the program's observer both told of every
 * event; the reporter's summary closes the run as on the command line.
 */
export async function driveReported(opts: PipelineExecuteOptions, graph: Graph | undefined, start: (drive: DriveOptions) => Promise<RunResult>): Promise<RunResult> {
  if (opts.quiet !== undefined && typeof opts.quiet !== 'boolean') throw new TypeError('execute(): quiet must be true or false');
  if (opts.logLevel !== undefined && (typeof opts.logLevel !== 'string' || !parseLogLevel(opts.logLevel))) throw new TypeError(`execute(): logLevel must be one of ${LOG_LEVELS.join(', ')}`);
  const user = opts.observer;
  if (user !== undefined && (typeof user !== 'object' || user === null)) throw new TypeError('execute(): observer must be an object of callbacks ({ stepFinished(e) {...}, ... })');
  const { TerminalReporter } = opts.quiet ? { TerminalReporter: undefined } : await import('../views/reporter.js');
  const reporter = TerminalReporter ? new TerminalReporter({ json: false, level: opts.logLevel && parseLogLevel(opts.logLevel) }) : undefined;
  if (reporter && graph) reporter.expect(graph);
  const result = await start({
    // the program's observer throwing is its own bug: said, and the run goes on
    observer: bothObservers(reporter, user, (name, e) => process.stderr.write(`runnable: the execute() observer's ${name} threw: ${e instanceof Error ? e.message : String(e)}\n`)),
    signal: opts.signal,
    noCache: opts.noCache,
    onStart: (run) => {
      reporter?.started(run.runId);
      user?.runStarted?.(run);
    },
  });
  if (result.handOff) reporter?.line(result.handOff.message);
  else reporter?.summary(result);
  user?.runFinished?.({ runId: result.runId, status: result.status, location: result.location });
  return result;
}
