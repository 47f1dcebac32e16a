/**
 * The check a stored run log passes before anything reads it (src/runlog/_shape.ts): the first
 * wrong field named by its path and the types, never its value; fields it does not know kept.
 */
import { describe, expect, it } from 'vitest';
import { checkRunLogShape } from '../../src/runlog/_shape.js';

const attempt = { attempt_number: 1, start_time: 't', status: 'SUCCESS', input_parameters: { x: { kind: 'json', value: 1 } } };
const step = (extra: Record<string, unknown> = {}) => ({ name: 's', internal_name: 's', status: 'SUCCESS', attempts: [attempt], data_catalog: [], branches: {}, ...extra });
const log = (extra: Record<string, unknown> = {}) => ({ run_id: 'r', status: 'SUCCESS', steps: { s: step() }, parameters: {}, future_field: [1], ...extra });

describe('checkRunLogShape', () => {
  it('accepts a run log, nested branches and unknown fields, and gives it back as it is', () => {
    const nested = log({ steps: { m: step({ branches: { 'm.1': { internal_name: 'm.1', status: 'SUCCESS', parameters: {}, steps: { 'm.1.s': step() } } } }) } });
    const checked = checkRunLogShape(nested);
    expect(checked).toEqual({ log: nested });
    expect((checked as { log: unknown }).log).toBe(nested);
    expect(checkRunLogShape(log({ job: { status: 'SUCCESS', attempts: [], data_catalog: [] } }))).toHaveProperty('log');
  });

  it.each([
    [{ run_id: 5 }, 'run_id: expected string, received number'],
    [[], 'the top level: expected object, received array'],
    [null, 'the top level: expected object, received null'],
    [log({ steps: undefined }), 'steps: expected record, received undefined'],
    [log({ steps: { s: step({ attempts: {} }) } }), 'steps.s.attempts: expected array, received object'],
    [log({ steps: { s: step({ attempts: [{ ...attempt, attempt_number: '1' }] }) } }), 'steps.s.attempts.0.attempt_number: expected number, received string'],
    [log({ steps: { s: step({ attempts: [{ ...attempt, output_parameters: { y: { value: 2 } } }] }) } }), 'steps.s.attempts.0.output_parameters.y.kind: expected string, received undefined'],
    [log({ steps: { s: step({ data_catalog: [{ name: 'a', stage: 'put' }] }) } }), 'steps.s.data_catalog.0.data_hash: expected string, received undefined'],
    [log({ steps: { m: step({ branches: { b: { internal_name: 'b', status: 'S', parameters: {}, steps: { x: 'no' } } } }) } }), 'steps.m.branches.b.steps.x: expected object, received string'],
    [log({ parameters: { p: 3 } }), 'parameters.p: expected object, received number'],
    [log({ job: { status: 'S', attempts: [], data_catalog: null } }), 'job.data_catalog: expected array, received null'],
  ])('%j: %s', (value, problem) => {
    expect(checkRunLogShape(value)).toEqual({ problem });
  });
});
