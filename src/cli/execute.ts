/** `runnable execute PIPELINE`: run a pipeline, show progress, exit 0 / 1 / 2. */
import { prepareRun } from '../runner/prepare.js';
import { executePrepared } from '../runner/execute.js';
import { prepareAndDrive, runInputs, type ExecuteFlags } from './_drive.js';

export type { ExecuteFlags } from './_drive.js';

export function executeCommand(pipeline: string, flags: ExecuteFlags & { detach?: boolean }): Promise<number> {
  return prepareAndDrive(
    !!flags.json,
    () => prepareRun({ pipeline, ...runInputs(flags), detach: flags.detach }),
    (prepared, opts) => executePrepared(prepared, { ...opts, noCache: flags.cache === false }),
  );
}
