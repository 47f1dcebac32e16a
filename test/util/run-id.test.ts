import { describe, expect, it } from 'vitest';
import { RunnableError } from '../../src/errors.js';
import { generateRunId, validateRunId } from '../../src/util/run-id.js';

const K8S_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

describe('generateRunId', () => {
  it('is readable, carries the local time and is a valid Kubernetes name', () => {
    const id = generateRunId(new Date(2024, 0, 2, 9, 5, 7));
    expect(id).toMatch(/^[a-z]+-[a-z]+-090507-[a-z0-9]{6}$/);
    for (let i = 0; i < 1000; i++) {
      const g = generateRunId();
      expect(g).toMatch(K8S_NAME);
      expect(g.length).toBeLessThanOrEqual(63);
      expect(() => validateRunId(g)).not.toThrow();
    }
  });

  it('10,000 ids generated at the same instant are unique', () => {
    const now = new Date();
    const ids = new Set(Array.from({ length: 10_000 }, () => generateRunId(now)));
    expect(ids.size).toBe(10_000);
  });
});

describe('validateRunId', () => {
  it.each(['my-run', 'Run_2024.05.01', 'a', '0abc', 'x'.repeat(128)])('accepts %s', (id) => {
    expect(() => validateRunId(id)).not.toThrow();
  });

  it.each([
    ['', /empty/],
    ['x'.repeat(129), /longer than 128/],
    ['.hidden', /starts with '\.'/],
    ['..', /starts with '\.'/],
    ['-rf', /starts with '-'/],
    ['a/b', /only letters/],
    ['a b', /only letters/],
    ['run\n', /only letters/],
    ['été', /only letters/],
  ])('rejects %j', (id, why) => {
    let err: unknown;
    try {
      validateRunId(id);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RunnableError);
    expect((err as RunnableError).code).toBe('E_RUN_ID');
    expect((err as RunnableError).message).toMatch(why);
  });
});
