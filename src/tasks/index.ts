/** The task kinds by `command_type`: one `register` line per kind; test/tasks/contract.test.ts runs against each. */
import type { CommandType } from '../graph/model.js';
import { RunnableError } from '../errors.js';
import { Family } from '../registry.js';
import { notebookTask } from './notebook.js';
import { pythonTask } from './python.js';
import { shellTask } from './shell.js';
import type { TaskKind } from './types.js';
import { typescriptTask } from './typescript.js';

export const taskKinds = new Family<TaskKind>(
  'command_type',
  (type, known) => new RunnableError('E_SCHEMA', `command_type '${type}' is not supported yet (supported: ${known.join(', ')})`, { field: 'command_type' }),
)
  .register('typescript', typescriptTask)
  .register('shell', shellTask)
  .register('python', pythonTask)
  .register('notebook', notebookTask);

/** The task kind of a command type; E_SCHEMA for one not built yet. */
export function taskKindFor(type: CommandType): TaskKind {
  return taskKinds.get(type);
}

export { typescriptTask, functionIdentity, loadFunction, mapReturns } from './typescript.js';
export { shellTask } from './shell.js';
export { pythonTask } from './python.js';
export { notebookTask } from './notebook.js';
export { checkCommand, isTypeScriptCommand, loadExport, loadModule, parseCommand, preloadTypeScript } from './_module.js';
export { bundleNextTypeScriptModule } from './_ts_bundle.js';
export { bindArguments, signatureOf } from './_bind.js';
export { runInTaskContext, runOutsideTaskContext, terminal } from './_capture.js';
export { pythonForTasks } from './_python.js';
export { isModuleReducer, reduceInPython, type ToReduce } from './_python_reducer.js';
