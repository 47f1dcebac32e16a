/** `runnable execute PIPELINE`: run a pipeline, show progress, exit 0 / 1 / 2. */
import { prepareRun } from '../runner/prepare.js';
import { executePrepared } from '../runner/execute.js';
import { reportWarning } from './_errors.js';
import { prepareAndDrive, runInputs, type ExecuteFlags } from './_drive.js';

export type { ExecuteFlags } from './_drive.js';

export function executeCommand(pipeline: string, flags: ExecuteFlags & { detach?: boolean }): Promise<number> {
  return prepareAndDrive(
    !!flags.json,
    async () => {
      // the checks `validate` makes: what a step would fail on (a module, an export, a parameter) is exit 2 here, before the run
      const prepared = await prepareRun({ pipeline, ...runInputs(flags), detach: flags.detach, deep: true });
      for (const w of prepared.warnings ?? []) reportWarning(w);
      return prepared;
    },
    (prepared, opts) => executePrepared(prepared, { ...opts, noCache: flags.cache === false }),
  );
}
