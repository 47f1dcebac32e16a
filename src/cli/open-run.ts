/** `runnable open-run RUN_ID PIPELINE [-c] [-p] [--tag]`: create a run, or continue a failed one (src/runner/open-run.ts). */
import { openRun } from '../runner/open-run.js';
import { EXIT_OK, reportError } from './_errors.js';
import { say } from './_level.js';

export async function openRunCommand(runId: string, pipeline: string, flags: { config?: string; parameters?: string; tag?: string }): Promise<number> {
  try {
    const { opened } = await openRun({ runId, pipeline, configFile: flags.config, parametersFile: flags.parameters, tag: flags.tag });
    say(`run ${runId} ${opened === 'created' ? 'created' : 'continued (steps that succeeded are skipped)'}`);
    return EXIT_OK;
  } catch (err) {
    return reportError(err);
  }
}
