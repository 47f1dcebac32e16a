/**
 * What a step does when the data is not what it declared (README, Catalog and Behaviour worth
 * knowing): a `get` pattern that matches nothing fails the step as a `put` one does; a TS
 * function returning more values than `returns` names fails for an array and warns for an
 * object's other keys; a shell step runs on after a failing command unless it says `set -e`.
 */
import { describe, expect, it } from 'vitest';
import { readCatalog, runYaml, step } from './_helpers.js';

const WRITE = `write: {type: task, command_type: shell, command: 'mkdir -p data && echo a > data/a.csv && echo b > data/b.csv', catalog: {put: ['data/*.csv']}, next: read}`;

describe('catalog get', () => {
  it('a pattern that matches nothing fails the step, naming it; nothing runs', async () => {
    const r = await runYaml(`dag:\n  start_at: write\n  steps:\n    ${WRITE}\n    read: {type: task, command_type: shell, command: 'touch ran', catalog: {get: ['data/*.csv', 'data/inpt.csv']}, next: success}\n`);
    expect(r.status).toBe('FAIL');
    const s = step(r.runLog, 'read');
    expect(s.message).toMatch(/^catalog get: no file matches 'data\/inpt\.csv' in the catalog of run '/);
    expect(s.attempts[0]!.status).toBe('FAIL');
  });

  it('patterns that match get each file once, however many match it', async () => {
    const r = await runYaml(`dag:\n  start_at: write\n  steps:\n    ${WRITE}\n    read: {type: task, command_type: shell, command: 'cat data/a.csv data/b.csv', catalog: {get: ['data/*.csv', 'data/a.csv']}, next: success}\n`);
    expect(r.status).toBe('SUCCESS');
    expect(step(r.runLog, 'read').data_catalog.map((d) => `${d.stage}:${d.name}`).sort()).toEqual(['get:data/a.csv', 'get:data/b.csv']);
  });

  it('a catalog that keeps no files (do-nothing) has nothing to match: not a failure', async () => {
    const r = await runYaml(
      `dag:\n  start_at: read\n  steps:\n    read: {type: task, command_type: shell, command: 'true', catalog: {get: ['data/*.csv']}, next: success}\n`,
      { 'config.yaml': 'catalog: {type: do-nothing}\n' },
      { config: 'config.yaml' },
    );
    expect(r.status).toBe('SUCCESS');
  });
});

const FUNCS = `
export function tuple() { return [1, 2, 3]; }
export function record() { return { a: 1, b: 2, extra: 3, other: 4 }; }
`;

describe('more values returned than declared', () => {
  it("an array longer than returns fails the step (as a Python task's tuple of another length does)", async () => {
    const r = await runYaml(`dag:\n  start_at: t\n  steps:\n    t: {type: task, command: funcs.ts:tuple, returns: [a, b], next: success}\n`, { 'funcs.ts': FUNCS });
    expect(r.status).toBe('FAIL');
    expect(step(r.runLog, 't').message).toMatch(/function 'tuple' returned 3 values, but returns declares 2 \(a, b\)/);
    expect(r.runLog.parameters.a).toBeUndefined();
  });

  it("an object's other keys are left out, with a warning in the step's message and log", async () => {
    const r = await runYaml(`dag:\n  start_at: r\n  steps:\n    r: {type: task, command: funcs.ts:record, returns: [a, b], next: success}\n`, { 'funcs.ts': FUNCS });
    expect(r.status).toBe('SUCCESS');
    expect(r.runLog.parameters).toEqual({ a: { kind: 'json', value: 1 }, b: { kind: 'json', value: 2 } });
    const s = step(r.runLog, 'r');
    expect(s.message).toBe("warning: function 'record' returned 'extra', 'other', not in returns (a, b): left out");
    expect(s.attempts[0]!.message).toBe(s.message);
    expect(readCatalog(r.cwd, r.runId, '.logs/r.attempt-1.log')).toContain("runnable: warning: function 'record' returned 'extra'");
  });
});

describe('shell steps and set -e', () => {
  it('bash -c runs on after a failing command; the script exit status decides', async () => {
    const r = await runYaml(`dag:\n  start_at: s\n  steps:\n    s: {type: task, command_type: shell, command: 'false; export y=1', returns: [y], next: success}\n`);
    expect(r.status).toBe('SUCCESS');
    expect(r.runLog.parameters.y).toEqual({ kind: 'json', value: 1 });
  });

  it('`set -e` (or set -euo pipefail) at the start of the command stops at the first failure', async () => {
    const r = await runYaml(`dag:\n  start_at: s\n  steps:\n    s: {type: task, command_type: shell, command: 'set -euo pipefail; false | cat; export y=1', returns: [y], next: success}\n`);
    expect(r.status).toBe('FAIL');
    expect(step(r.runLog, 's').message).toMatch(/exit|status/i);
    expect(r.runLog.parameters.y).toBeUndefined();
  });
});
