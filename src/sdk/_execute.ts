/** What `execute()` of an SDK pipeline and of an SDK job share: checked options, the module's name. */
import path from 'node:path';
import type { RunInputs } from '../runner/prepare.js';
import { checkKeys } from './_options.js';
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
