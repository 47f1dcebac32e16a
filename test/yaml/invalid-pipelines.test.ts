import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunnableError } from '../../src/errors.js';
import { loadPipelineFile } from '../../src/yaml/load-pipeline.js';
import { INVALID_DIR, invalidCases } from '../fixtures/invalid/cases.js';

const repo = path.resolve(INVALID_DIR, '../../..');
const cases = invalidCases().filter((c) => c.kind === 'pipeline' && !c.file.startsWith('_'));

describe('invalid pipelines', () => {
  it('has at least 20 distinct cases', () => {
    expect(new Set(cases.map((c) => c.file)).size).toBeGreaterThanOrEqual(20);
  });

  it.each(cases.map((c) => [c.file, c] as const))('%s', async (_name, c) => {
    const err = await loadPipelineFile(`test/fixtures/invalid/${c.file}`, repo).then(
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
    expect(e.format()).toMatch(new RegExp(`^test/fixtures/invalid/${c.file.replace('.', '\\.')}`));
  });
});
