/**
 * Shared by the pipeline and job executors that run work in other processes (emulate,
 * local-container, slurm); a leaf module, so the job executors can use it without loading the
 * protocol traversal.
 */
import { RunnableError } from '../errors.js';
import type { RunLogStore } from '../runlog/types.js';

/**
 * What every executor that runs steps (or a job's task) in other processes refuses before the
 * run exists (exit 2, nothing run): those processes see neither this one's memory (the
 * `buffered` run-log store) nor a pipeline or job built in it. Returns the file they load.
 * `type`: the executor (`emulate`, `local-container job`); `where`: "in containers".
 */
export function fileForOtherProcesses(store: RunLogStore, source: { path: string }, what: 'pipeline' | 'job', type: string, where: string): string {
  if (!store.sharedAcrossProcesses) {
    throw new RunnableError('E_CONFIG', `the ${type} executor runs ${what === 'job' ? 'the task' : 'steps'} ${where}, which cannot see the '${store.type}' run-log store (it lives in this process): use chunked-fs or file-system`, {
      field: 'run-log-store.type',
    });
  }
  if (!source.path || source.path.startsWith('<')) {
    throw new RunnableError(
      'E_CONFIG',
      `the ${type} executor runs ${what === 'job' ? 'the task' : 'steps'} ${where}, which ${what === 'job' ? 'loads' : 'load'} the ${what} from its file, and this ${what} was built in memory: put it in a module whose default export is the ${what}, or in YAML`,
      { field: `${what}-executor.type` },
    );
  }
  return source.path;
}
