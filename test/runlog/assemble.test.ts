import { describe, expect, it } from 'vitest';
import { RunnableError } from '../../src/errors.js';
import { assemble, disassemble } from '../../src/runlog/assemble.js';
import type { NewRecord, RunRecord } from '../../src/runlog/types.js';
import { executionOrder, header, nestedRunLog, step } from './_fixture.js';

const withSeqs = (records: NewRecord[]): RunRecord[] => records.map((r, seq) => ({ ...r, seq }) as RunRecord);

/** a deterministic shuffle (the order records come back from a directory listing is arbitrary) */
function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  let state = 42;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('assemble / disassemble', () => {
  it('round-trips a nested run log', () => {
    const log = nestedRunLog();
    expect(assemble(withSeqs(disassemble(log)))).toEqual(log);
  });

  it('disassembles parents before children, with parents from the nesting', () => {
    const records = disassemble(nestedRunLog());
    expect(records.slice(0, 2).map((r) => r.kind)).toEqual(['run', 'params']);
    const seen = new Set<string>(['']);
    for (const r of records) {
      if (r.kind === 'step' || r.kind === 'branch') {
        expect(seen.has(`${r.kind === 'step' ? 'branch' : 'step'}:${r.parent}`) || r.parent === '').toBe(true);
        seen.add(`${r.kind}:${r.key}`);
      }
    }
    expect(records.find((r) => r.key === 'map_step.a.nested.left.deeper.0.leaf')).toMatchObject({ kind: 'step', parent: 'map_step.a.nested.left.deeper.0' });
    expect(records.find((r) => r.key === 'map_step.a.nested.left')).toMatchObject({ kind: 'branch', parent: 'map_step.a.nested' });
    expect(records.find((r) => r.kind === 'step' && r.key === 'first')?.data).not.toHaveProperty('branches');
    expect(records.find((r) => r.kind === 'branch')?.data).not.toHaveProperty('steps');
  });

  it('orders siblings by seq, whatever the order of the records', () => {
    const log = nestedRunLog();
    const records = withSeqs(executionOrder(log));
    // executionOrder writes each record twice; keep the last write with the first seq, as stores do
    const byId = new Map<string, RunRecord>();
    for (const r of records) {
      const id = `${r.kind}:${r.key}`;
      byId.set(id, { ...r, seq: byId.get(id)?.seq ?? r.seq } as RunRecord);
    }
    const assembled = assemble(shuffled([...byId.values()]));
    expect(assembled).toEqual(log);
    expect(Object.keys(assembled.steps.map_step!.branches)).toEqual(['map_step.b', 'map_step.a']);
    expect(Object.keys(assembled.steps)).toEqual(['first', 'map_step', 'parallel_step', 'success']);
  });

  it('keeps orphans: a step without its branch goes to the top level, a branch without its step under a placeholder', () => {
    const records = withSeqs(disassemble(nestedRunLog())).filter(
      (r) => !(r.kind === 'branch' && r.key === 'map_step.a') && !(r.kind === 'step' && r.key === 'parallel_step'),
    );
    const log = assemble(records);
    // the steps of the missing branch map_step.a
    expect(log.steps['map_step.a.inner']?.internal_name).toBe('map_step.a.inner');
    expect(log.steps['map_step.a.nested']?.branches['map_step.a.nested.left']?.steps['map_step.a.nested.left.deeper']).toBeDefined();
    // the branches of the missing step parallel_step
    const placeholder = log.steps.parallel_step!;
    expect(placeholder).toMatchObject({ name: 'parallel_step', internal_name: 'parallel_step', status: 'CREATED', step_type: '' });
    expect(Object.keys(placeholder.branches)).toEqual(['parallel_step.right', 'parallel_step.left']);
    // nothing dropped
    expect(disassemble(log).length).toBe(records.length + 1);
  });

  it('assembles the job of a job run and the top-level parameters', () => {
    const job = { status: 'SUCCESS' as const, message: '', mock: false, code_identities: [], attempts: step('x').attempts, data_catalog: [] };
    const log = assemble(
      withSeqs([
        { kind: 'run', key: '', parent: '', data: header('job-run') },
        { kind: 'params', key: '', parent: '', data: { p: { kind: 'json', value: 3 } } },
        { kind: 'job', key: '', parent: '', data: job },
      ]),
    );
    expect(log).toEqual({ ...header('job-run'), steps: {}, parameters: { p: { kind: 'json', value: 3 } }, job });
    expect(disassemble(log).map((r) => r.kind)).toEqual(['run', 'params', 'job']);
  });

  it('defaults missing parameters to {} and writes fields in SPEC order', () => {
    const log = assemble(withSeqs([{ kind: 'run', key: '', parent: '', data: header('r') }]));
    expect(Object.keys(log)).toEqual(['run_id', 'dag_hash', 'tag', 'status', 'steps', 'parameters', 'run_config']);
    expect(log.parameters).toEqual({});
  });

  it('refuses records without a run header (E_FILE)', () => {
    expect(() => assemble([])).toThrow(RunnableError);
    try {
      assemble([]);
    } catch (e) {
      expect((e as RunnableError).code).toBe('E_FILE');
    }
  });
});
