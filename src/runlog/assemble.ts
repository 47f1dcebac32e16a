/**
 * Records <-> RunLog. Stores persist a run as flat records (types.ts); readers want the nested
 * RunLog of SPEC §5. `assemble` nests, `disassemble` flattens, and
 * `assemble(disassemble(log))` deep-equals `log` (with seqs given in `disassemble`'s order).
 */
import { RunnableError } from '../errors.js';
import { bySeq } from './_records.js';
import type { BranchLog, NewRecord, Parameters, RunLog, RunLogStore, RunRecord, StepLog, StepRecordData } from './types.js';

/**
 * The run as one RunLog, for readers (`runs show`, `timeline`, `runs diff`, `graph --run`): as the
 * store holds it when it can give it whole (`readRunLog`), else its records nested.
 */
export async function readRunLog(store: RunLogStore, runId: string): Promise<RunLog> {
  return (await store.readRunLog?.(runId)) ?? assemble(await store.list(runId));
}

/**
 * Nests step records into their parent branch (or the run's top-level `steps`) and branch
 * records into their parent step's `branches`, siblings in `seq` order. The run's `steps` are
 * keyed by the step's `name`; a branch's `steps` and a step's `branches` by `internal_name`, as
 * runnable keys them (datastore.py), so `branches['map.1'].steps['map.1.task']`.
 *
 * An orphan (a record whose parent is missing, e.g. read mid-write from a concurrent store) is
 * kept, not dropped: an orphan step goes to the top-level `steps` keyed by its internal name; an
 * orphan branch goes under a placeholder step (status CREATED) standing for its missing parent.
 * The records are not modified; the result shares their nested values.
 *
 * @example
 * const log = assemble(await store.list(runId));
 * log.steps.map_step.branches['map_step.a'].steps.inner.status; // 'SUCCESS'
 */
export function assemble(records: readonly RunRecord[]): RunLog {
  const sorted = [...records].sort(bySeq);
  let header: Extract<RunRecord, { kind: 'run' }> | undefined;
  let parameters: Parameters = {};
  let job: RunLog['job'];
  const steps = new Map<string, StepLog>();
  const branches = new Map<string, BranchLog>();
  for (const r of sorted) {
    if (r.kind === 'run') header = r;
    else if (r.kind === 'params') parameters = r.data;
    else if (r.kind === 'job') job = r.data;
    else if (r.kind === 'step') steps.set(r.key, { ...r.data, branches: {} });
    else branches.set(r.key, { ...r.data, steps: {} });
  }
  if (!header) throw new RunnableError('E_FILE', 'the run log has no run record (header); the store is incomplete or corrupt');

  // SPEC §5 field order, so the materialised file reads top-down
  const { run_config, ...rest } = header.data;
  const log: RunLog = { ...rest, steps: {}, parameters, run_config };
  if (job) log.job = job;

  // Attach in seq order, so each map's insertion order is its siblings' creation order.
  for (const r of sorted) {
    if (r.kind === 'step') {
      const step = steps.get(r.key)!;
      const parent = r.parent === '' ? undefined : branches.get(r.parent);
      if (parent) parent.steps[step.internal_name] = step;
      else log.steps[r.parent === '' ? step.name : r.key] = step;
    } else if (r.kind === 'branch') {
      const branch = branches.get(r.key)!;
      let parent = steps.get(r.parent);
      if (!parent) {
        parent = placeholderStep(r.parent);
        steps.set(r.parent, parent);
        log.steps[r.parent] = parent;
      }
      parent.branches[branch.internal_name] = branch;
    }
  }
  return log;
}

/**
 * The records of a RunLog, parents before children (pre-order, siblings in map order); a
 * step's `parent` is the internal name of the branch holding it, a branch's the step's.
 *
 * @example
 * for (const record of disassemble(log)) await store.put(log.run_id, record);
 */
export function disassemble(log: RunLog): NewRecord[] {
  const { steps, parameters, job, ...header } = log;
  const out: NewRecord[] = [
    { kind: 'run', key: '', parent: '', data: header },
    { kind: 'params', key: '', parent: '', data: parameters },
  ];
  if (job) out.push({ kind: 'job', key: '', parent: '', data: job });
  const walkSteps = (map: Record<string, StepLog>, parent: string): void => {
    for (const step of Object.values(map)) {
      const { branches, ...data } = step;
      out.push({ kind: 'step', key: step.internal_name, parent, data });
      for (const branch of Object.values(branches)) {
        const { steps: inner, ...bdata } = branch;
        out.push({ kind: 'branch', key: branch.internal_name, parent: step.internal_name, data: bdata });
        walkSteps(inner, branch.internal_name);
      }
    }
  };
  walkSteps(steps, '');
  return out;
}

function placeholderStep(internalName: string): StepLog {
  const data: StepRecordData = {
    name: internalName.split('.').pop() ?? internalName,
    internal_name: internalName,
    status: 'CREATED',
    step_type: '',
    message: 'placeholder: the record of this step is missing from the store',
    mock: false,
    code_identities: [],
    attempts: [],
    data_catalog: [],
  };
  return { ...data, branches: {} };
}
