/**
 * `runnable fan RUN_ID STEP PIPELINE in|out [-c] [-p] [--map-variable JSON] [--json]`: open
 * (`in`: go into the composite) or close (`out`: come out of it) a composite step of an existing
 * run, as SPEC §1 says. (runnable's Python `fan` uses the words the other way round.)
 *
 * `in` records the step and its branches; with `--json` it prints the branches to run, one JSON
 * array on the last line of stdout: `[{internal_name, branch, start_at, map_variable}]` (see
 * src/engine/branches.ts). `out` settles the step from its branches' outcome; with `--json` it
 * prints `{status, next?}`, `next` being a loop's next iteration to run before `fan ... out` again.
 *
 * `--outputs DIR` writes the branches to run as files too (src/runner/branches.ts,
 * branchOutputFiles), which Argo reads as output parameters.
 *
 * Exit 0: opened / succeeded / a loop goes on; 1: the step failed (the run log holds why); 2: bad
 * input, nothing written.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { branchOutputFiles } from '../engine/branches.js';
import { fan } from '../runner/single-node.js';
import { EXIT_FAILED, EXIT_OK } from './_errors.js';
import { loadsOneModule, stepObserver, withStepSignals, type StepFlags } from './execute-single-node.js';

export async function fanCommand(runId: string, step: string, pipeline: string, direction: 'in' | 'out', flags: StepFlags & { outputs?: string }): Promise<number> {
  loadsOneModule(pipeline);
  return withStepSignals(async (signal) => {
    const result = await fan({
      runId,
      pipeline,
      step,
      direction,
      mapVariable: flags.mapVariable,
      configFile: flags.config,
      parametersFile: flags.parameters,
      observer: await stepObserver(flags),
      signal,
    });
    if (flags.json) {
      const out = direction === 'in' ? (result.branches ?? []) : { status: result.status, ...(result.next ? { next: result.next } : {}) };
      process.stdout.write(`${JSON.stringify(out)}\n`);
    }
    if (flags.outputs) {
      // the branches to run, as files an engine reads (Argo: output parameters); see branchOutputFiles
      await mkdir(flags.outputs, { recursive: true });
      const files = branchOutputFiles(result.templates, (direction === 'in' ? result.branches : result.next) ?? []);
      for (const [name, text] of Object.entries(files)) await writeFile(path.join(flags.outputs, name), text);
    }
    return result.status === 'FAIL' ? EXIT_FAILED : EXIT_OK;
  });
}
