import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { RunnableError } from '../../src/errors.js';
import { INVALID_DIR, invalidCases } from '../fixtures/invalid/cases.js';

const repo = path.resolve(INVALID_DIR, '../../..');
const cases = invalidCases().filter((c) => c.kind === 'config');

describe('invalid configs', () => {
  it.each(cases.map((c) => [c.file, c] as const))('%s', async (_name, c) => {
    const err = await loadConfig({ file: `test/fixtures/invalid/${c.file}`, cwd: repo, env: {} }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, `${c.file} loaded without error`).toBeInstanceOf(RunnableError);
    const e = err as RunnableError;
    expect(e.code).toBe(c.code);
    expect(e.where.file).toBe(`test/fixtures/invalid/${c.file}`);
    expect(e.where.step).toBe(c.step);
    expect(e.where.field).toBe(c.field);
    expect(e.where.line).toBe(c.line);
    expect(e.message).toContain(c.fragment);
    expect(e.format()).not.toContain('\n');
  });
});
