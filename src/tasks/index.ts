/** The task kinds by `command_type`. */
import type { CommandType } from '../graph/model.js';
import { RunnableError } from '../errors.js';
import { notebookTask } from './notebook.js';
import { pythonTask } from './python.js';
import { shellTask } from './shell.js';
import type { TaskKind } from './types.js';
import { typescriptTask } from './typescript.js';

export const taskKinds: ReadonlyMap<CommandType, TaskKind> = new Map<CommandType, TaskKind>([
  ['typescript', typescriptTask],
  ['shell', shellTask],
  ['python', pythonTask],
  ['notebook', notebookTask],
]);

/** The task kind of a command type; E_SCHEMA for one not built yet. */
export function taskKindFor(type: CommandType): TaskKind {
  const kind = taskKinds.get(type);
  if (!kind) {
    throw new RunnableError(
      'E_SCHEMA',
      `command_type '${type}' is not supported yet (supported: ${[...taskKinds.keys()].join(', ')})`,
      { field: 'command_type' },
    );
  }
  return kind;
}

export { typescriptTask, loadFunction, mapReturns } from './typescript.js';
export { shellTask } from './shell.js';
export { pythonTask } from './python.js';
export { notebookTask } from './notebook.js';
export { checkCommand, loadExport, loadModule, parseCommand } from './_module.js';
export { bindArguments, signatureOf } from './_bind.js';
export { runInTaskContext, runOutsideTaskContext, terminal } from './_capture.js';
export { pythonForTasks } from './_python.js';
export { isModuleReducer, reduceInPython, type ToReduce } from './_python_reducer.js';
