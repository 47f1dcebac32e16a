/**
 * Misuse is a RunnableError thrown while the pipeline is built (by the builder or by
 * `pipeline(...)`), never when it runs, with the step and field named.
 */
import { describe, expect, it } from 'vitest';
import { RunnableError } from '../../src/errors.js';
import {
  conditional, fail, loop, map, object, parallel, pipeline, shell, stub, success, task, type Pipeline, type Step,
} from '../../src/sdk/index.js';
import { start } from '../fixtures/sdk/functions.js';
import { unexported } from '../fixtures/sdk/twins.js';

/** The RunnableError `build` throws. */
function buildError(build: () => unknown): RunnableError {
  try {
    build();
  } catch (e) {
    expect(e).toBeInstanceOf(RunnableError);
    return e as RunnableError;
  }
  throw new Error('expected a RunnableError, nothing was thrown');
}

const one = () => pipeline([stub('only')]);
// Deliberately ill-typed calls, as plain JavaScript could make them.
const loose = <T>(v: unknown) => v as T;

describe('names', () => {
  it('duplicate step names', () => {
    const e = buildError(() => pipeline([stub('a'), shell('true', { name: 'a' })]));
    expect(e.code).toBe('E_GRAPH');
    expect(e.message).toMatch(/duplicate step name 'a'/);
  });

  it('a duplicate brought in by an onFailure pipeline', () => {
    const e = buildError(() => pipeline([shell('false', { name: 'work', onFailure: pipeline([stub('next_one')]) }), stub('next_one')]));
    expect(e.format()).toMatch(/duplicate step name 'next_one'.*onFailure/);
  });

  it("a step name with '.'", () => {
    const e = buildError(() => pipeline([stub('a.b')]));
    expect(e.code).toBe('E_SCHEMA');
    expect(e.format()).toBe("step 'a.b', field 'name': step name 'a.b' must not contain '.' (names form dot paths)");
    expect(buildError(() => task(start, { name: 'x.y' })).message).toMatch(/must not contain '\.'/);
    expect(buildError(() => parallel('p', { 'b.1': one() })).message).toMatch(/branch name 'b\.1' must not contain/);
  });

  it("the reserved names 'success' and 'fail'", () => {
    expect(buildError(() => shell('true', { name: 'success' })).message).toMatch(/the step named 'success' is the success node/);
    expect(buildError(() => stub('fail')).message).toMatch(/its type must be fail/);
    expect(buildError(() => conditional('c', { parameter: 'p', branches: { default: one() } })).message).toMatch(/'default' is reserved/);
  });

  it('an anonymous function without a name', () => {
    expect(buildError(() => task(() => 1)).message).toMatch(/anonymous function needs a step name/);
  });
});

describe('shape', () => {
  it('an empty pipeline', () => {
    const e = buildError(() => pipeline([]));
    expect(e.format()).toBe("field 'steps': no steps defined: a pipeline needs at least one step");
  });

  it('a pipeline or nothing where a step belongs', () => {
    expect(buildError(() => pipeline([stub('a'), loose<Step>(one())])).message).toMatch(/steps\[1\] is a pipeline, not a step \(to nest a pipeline, use parallel/);
    expect(buildError(() => pipeline(loose<Step[]>(undefined))).message).toMatch(/takes a list of steps, got nothing/);
  });

  it('a step after one that ends the pipeline: its next would lead nowhere', () => {
    expect(buildError(() => pipeline([stub('a', { terminateWithSuccess: true }), stub('b')])).format()).toBe(
      "step 'b': step 'b' can never run: 'a' before it ends the pipeline (terminateWithSuccess); make it the last step",
    );
    expect(buildError(() => pipeline([stub('a'), fail(), stub('b')])).message).toMatch(/'fail' before it ends the pipeline \(fail\)/);
    expect(buildError(() => pipeline([success('done'), stub('b')])).message).toMatch(/can never run/);
    expect(buildError(() => stub('a', { terminateWithSuccess: true, terminateWithFailure: true })).message).toMatch(/both success and failure/);
  });

  it('a map without iterateOn, and other missing or invalid composite fields', () => {
    const e = buildError(() => map('fan', loose({ iterateAs: 'item', branch: one() })));
    expect(e.format()).toBe("step 'fan', field 'iterateOn': missing required option 'iterateOn'");
    expect(buildError(() => map('fan', { iterateOn: 'my items', iterateAs: 'item', branch: one() })).message).toMatch(/'my items' is not a valid name/);
    expect(buildError(() => map('fan', loose({ iterateOn: 'items', iterateAs: 'item' }))).message).toMatch(/missing required option 'branch'/);
    expect(buildError(() => map('fan', { iterateOn: 'items', iterateAs: 'item', branch: loose<Pipeline>([stub('x')]) })).message).toMatch(/branch must be a pipeline\(\[\.\.\.\]\), got a list/);
    expect(buildError(() => loop('l', { branch: one(), maxIterations: 0, breakOn: 'done', indexAs: 'i' })).message).toMatch(/maxIterations must be an integer of at least 1, got 0/);
    expect(buildError(() => parallel('p', {})).message).toBe('no branches defined');
    expect(buildError(() => conditional('c', loose({ branches: { a: one() } }))).message).toMatch(/missing required option 'parameter'/);
  });

  it('unknown options, as the YAML rejects unknown fields', () => {
    expect(buildError(() => task(start, loose({ retruns: ['x'] }))).format()).toMatch(/field 'retruns': unknown option 'retruns' \(allowed: .*returns/);
    expect(buildError(() => map('m', loose({ iterateOn: 'a', iterateAs: 'b', branch: one(), reduce: 'x' }))).message).toMatch(/unknown option 'reduce'/);
    expect(buildError(() => shell('true', loose({ name: 'x', catalog: { gets: [] } }))).message).toMatch(/unknown catalog option 'gets'/);
  });

  it('bad option values', () => {
    expect(buildError(() => task(start, { maxAttempts: 0 })).message).toMatch(/maxAttempts must be an integer of at least 1/);
    expect(buildError(() => stub('s', { onFailure: loose<Pipeline>(stub('x')) })).message).toMatch(/onFailure must be a pipeline\(\[\.\.\.\]\), got a stub step/);
    expect(buildError(() => shell('', { name: 's' })).message).toMatch(/needs a command/);
    expect(buildError(() => task(loose('functions.ts:start'))).message).toMatch(/task\(\) takes an exported function, got string; for a command string use shell\(\)/);
  });
});

describe('returns', () => {
  it('invalid, duplicate, and object returns of shell tasks', () => {
    expect(buildError(() => task(start, { returns: ['1st'] })).format()).toBe(
      "step 'start', field 'returns[0]': '1st' is not a valid name (letters, digits and _, not starting with a digit)",
    );
    expect(buildError(() => task(start, { returns: ['x', 'x'] })).message).toBe("duplicate return name 'x'");
    expect(buildError(() => shell('true', { name: 's', returns: [object('o')] })).message).toMatch(/shell tasks return json or metric values, not objects/);
    expect(buildError(() => task(start, { returns: [loose({ name: 'x', kind: 'pickle' })] })).message).toMatch(/kind must be one of json, object, metric/);
  });
});

describe('functions that cannot be located', () => {
  it('a function its module does not export: thrown by pipeline(), naming the step', () => {
    const step = task(unexported, { returns: ['one'] });
    const e = buildError(() => pipeline([step]));
    expect(e.code).toBe('E_COMMAND');
    expect(e.where).toMatchObject({ step: 'hidden', field: 'command' });
    expect(e.message).toBe(
      "function 'hidden' (defined in test/fixtures/sdk/functions.ts) is not exported by test/fixtures/sdk/functions.ts: export it (`export function hidden` or `export { hidden }`) so that the step can load it by PATH:EXPORT",
    );
  });

  it('a function defined inline', () => {
    const e = buildError(() => pipeline([task((a: number) => a + 1, { name: 'inline' })]));
    expect(e.message).toMatch(/^an anonymous function \(defined in test\/sdk\/misuse\.test\.ts\) is not exported/);
  });

  it('a reducer that is not exported names the reducer field', () => {
    const fan = map('fan', { iterateOn: 'items', iterateAs: 'item', branch: one(), reducer: (v: unknown[]) => v.length });
    expect(buildError(() => pipeline([fan])).where).toMatchObject({ step: 'fan', field: 'reducer' });
  });

  it('built-in and evaluated functions', () => {
    expect(buildError(() => pipeline([task(Math.max)])).message).toMatch(/cannot locate function 'max': it is a built-in function/);
    const evaluated = new Function('return 1') as () => number;
    expect(buildError(() => pipeline([task(evaluated, { name: 'ev' })])).message).toMatch(/not in a module file/);
  });
});
