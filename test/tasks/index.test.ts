import { describe, expect, it } from 'vitest';
import { RunnableError } from '../../src/errors.js';
import { taskKindFor, taskKinds } from '../../src/tasks/index.js';

describe('task kinds', () => {
  it('has typescript and shell', () => {
    expect([...taskKinds.keys()]).toEqual(['typescript', 'shell']);
    expect(taskKindFor('shell').type).toBe('shell');
    expect(taskKindFor('typescript').type).toBe('typescript');
  });
  it('rejects kinds not built yet with E_SCHEMA', () => {
    const err = (() => {
      try {
        taskKindFor('notebook');
      } catch (e) {
        return e as RunnableError;
      }
    })();
    expect(err).toBeInstanceOf(RunnableError);
    expect(err!.code).toBe('E_SCHEMA');
    expect(err!.message).toMatch(/^command_type 'notebook' is not supported yet/);
  });
});
