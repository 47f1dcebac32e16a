import { describe, expect, it } from 'vitest';
import { RunnableError } from '../../src/errors.js';
import type { CommandType } from '../../src/graph/model.js';
import { taskKindFor, taskKinds } from '../../src/tasks/index.js';

describe('task kinds', () => {
  it('has typescript, shell, python and notebook', () => {
    expect(taskKinds.types()).toEqual(['typescript', 'shell', 'python', 'notebook']);
    expect(taskKindFor('python').type).toBe('python');
    expect(taskKindFor('notebook').type).toBe('notebook');
    expect(taskKindFor('shell').type).toBe('shell');
    expect(taskKindFor('typescript').type).toBe('typescript');
  });
  it('rejects kinds not built yet with E_SCHEMA', () => {
    const err = (() => {
      try {
        taskKindFor('r' as CommandType);
      } catch (e) {
        return e as RunnableError;
      }
    })();
    expect(err).toBeInstanceOf(RunnableError);
    expect(err!.code).toBe('E_SCHEMA');
    expect(err!.message).toMatch(/^command_type 'r' is not supported yet/);
  });
});
