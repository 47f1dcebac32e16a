/**
 * Shared by the pipeline and job executors that run work in other processes (emulate,
 * local-container, slurm); a leaf module, so the job executors can use it without loading the
 * protocol traversal.
 */
import { RunnableError } from '../errors.js';
import type { PipelineNode } from '../graph/model.js';
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

/**
 * The folders on this machine's disk that hold a run's log and catalog, for the executors that
 * must mount them where the work runs (a pod's volumes): the stores on the local disk expose
 * theirs (`logFolder`, `catalogLocation`); object-storage stores and `do-nothing` have none.
 */
export function storeFolders(store: object, catalog: object): { runLog?: string; catalog?: string } {
  const runLog = (store as { logFolder?: unknown }).logFolder;
  const location = (catalog as { catalogLocation?: unknown }).catalogLocation;
  return { ...(typeof runLog === 'string' ? { runLog } : {}), ...(typeof location === 'string' ? { catalog: location } : {}) };
}

/**
 * The `overrides.NAME` entry of an executor's config that a step picks with `overrides:
 * {<executor>: NAME}` (undefined when it picks none); E_CONFIG naming the defined ones when the
 * config has no such entry.
 */
export function overrideFor<T>(overrides: Record<string, T>, node: PipelineNode, executor: string): T | undefined {
  const name = node.overrides?.[executor];
  if (!name) return undefined;
  const entry = overrides[name];
  if (!entry) {
    const known = Object.keys(overrides);
    throw new RunnableError('E_CONFIG', `step '${node.internalName}' asks for ${executor} override '${name}', which the config does not define${known.length ? ` (defined: ${known.join(', ')})` : ''}`, {
      field: 'pipeline-executor.config.overrides',
      step: node.internalName,
    });
  }
  return entry;
}
