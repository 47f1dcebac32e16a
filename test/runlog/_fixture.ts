/** A nested run log for the run-log tests: map -> parallel -> map, three composites deep. */
import type { BranchLog, NewRecord, Parameters, RunHeader, RunLog, StepLog } from '../../src/runlog/types.js';

export function header(runId: string): RunHeader {
  return { run_id: runId, dag_hash: 'abc123', tag: 'nightly', status: 'PROCESSING', run_config: { executor: { type: 'local' } } };
}

export function step(internalName: string, extra: Partial<StepLog> = {}): StepLog {
  const name = internalName.split('.').pop()!;
  return {
    name,
    internal_name: internalName,
    status: 'SUCCESS',
    step_type: 'task',
    message: '',
    mock: false,
    code_identities: [
      {
        code_identifier: '0123abcd',
        code_identifier_type: 'git',
        code_identifier_dependable: true,
        code_identifier_url: 'https://example.com/repo.git',
        code_identifier_message: '',
      },
    ],
    attempts: [
      {
        attempt_number: 1,
        start_time: '2024-01-01T00:00:00.000Z',
        end_time: '2024-01-01T00:00:01.000Z',
        status: 'SUCCESS',
        message: '',
        input_parameters: { x: { kind: 'json', value: 1 } },
        output_parameters: { y: { kind: 'json', value: [1, 2, { z: null }] } },
        user_defined_metrics: { acc: { kind: 'metric', value: 0.9 } },
      },
    ],
    branches: {},
    data_catalog: [],
    ...extra,
  };
}

const success = (branch: string): StepLog => step(`${branch}.success`, { step_type: 'success' });

export function branch(internalName: string, steps: StepLog[], parameters: Parameters = {}): BranchLog {
  return { internal_name: internalName, status: 'SUCCESS', steps: Object.fromEntries(steps.map((s) => [s.internal_name, s])), parameters };
}

const composite = (internalName: string, type: string, branches: BranchLog[]): StepLog =>
  step(internalName, { step_type: type, attempts: [], branches: Object.fromEntries(branches.map((b) => [b.internal_name, b])) });

/** map_step (items a, b) -> nested (parallel: left, right) -> deeper (map: 0) -> leaf */
export function nestedRunLog(runId = 'nested-run'): RunLog {
  const mapBranch = (item: string): BranchLog => {
    const b = `map_step.${item}`;
    const left = `${b}.nested.left`;
    const deeper = composite(`${left}.deeper`, 'map', [
      branch(`${left}.deeper.0`, [step(`${left}.deeper.0.leaf`), success(`${left}.deeper.0`)], { i: { kind: 'json', value: 0 } }),
    ]);
    const nested = composite(`${b}.nested`, 'parallel', [
      branch(left, [deeper, success(left)]),
      branch(`${b}.nested.right`, [step(`${b}.nested.right.work`, { status: 'FAIL', message: 'boom' }), success(`${b}.nested.right`)]),
    ]);
    return branch(b, [step(`${b}.inner`), nested, success(b)], { item: { kind: 'json', value: item } });
  };
  const first = step('first', {
    data_catalog: [
      { name: 'data/out.csv', data_hash: 'f00d', catalog_relative_path: 'nested-run/data/out.csv', catalog_handler_location: '.catalog', stage: 'put' },
    ],
  });
  const mapStep = composite('map_step', 'map', [mapBranch('b'), mapBranch('a')]); // not alphabetical on purpose
  const parallel = composite('parallel_step', 'parallel', [
    branch('parallel_step.right', [step('parallel_step.right.r'), success('parallel_step.right')]),
    branch('parallel_step.left', [step('parallel_step.left.l'), success('parallel_step.left')]),
  ]);
  return {
    ...header(runId),
    steps: Object.fromEntries([first, mapStep, parallel, step('success', { step_type: 'success' })].map((s) => [s.name, s])),
    parameters: { x: { kind: 'json', value: 1 }, model: { kind: 'object', value: 'model.pickle' } },
  };
}

/**
 * The records of `log` in the order an executor writes them: a composite step first as
 * PROCESSING, its branches and their steps, then the step again with its final state.
 */
export function executionOrder(log: RunLog): NewRecord[] {
  const out: NewRecord[] = [];
  const walk = (steps: Record<string, StepLog>, parent: string): void => {
    for (const s of Object.values(steps)) {
      const { branches, ...data } = s;
      out.push({ kind: 'step', key: s.internal_name, parent, data: { ...data, status: 'PROCESSING' } });
      for (const b of Object.values(branches)) {
        const { steps: inner, ...bdata } = b;
        out.push({ kind: 'branch', key: b.internal_name, parent: s.internal_name, data: { ...bdata, status: 'PROCESSING', parameters: {} } });
        walk(inner, b.internal_name);
        out.push({ kind: 'branch', key: b.internal_name, parent: s.internal_name, data: bdata });
      }
      out.push({ kind: 'step', key: s.internal_name, parent, data });
    }
  };
  walk(log.steps, '');
  const { steps: _s, parameters, job: _j, ...head } = log;
  out.push({ kind: 'params', key: '', parent: '', data: parameters });
  out.push({ kind: 'run', key: '', parent: '', data: head });
  return out;
}
