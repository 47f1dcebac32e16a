/**
 * esbuild renames a parameter that shadows a top-level name of its module (`toss` -> `toss2`)
 * in the code that runs; binding must still use the name the user wrote.
 */
import { describe, expect, it } from 'vitest';
import { undoRename } from '../../src/tasks/_bind.js';
import { runYaml, step } from '../engine/_helpers.js';

describe('parameters renamed by the TypeScript transform', () => {
  it('maps a renamed name back to the one in the source', () => {
    const src = 'export function toss() {}\nexport function f(toss: string, x1: number, v2: number) {}';
    expect(undoRename('toss2', src)).toBe('toss');
    expect(undoRename('x12', src)).toBe('x1');
    expect(undoRename('v2', src)).toBe('v2'); // written so by the user
    expect(undoRename('other3', src)).toBe('other3'); // nothing to map to
  });

  it('binds a parameter named like an export of its module', async () => {
    const r = await runYaml(
      `dag:
  start_at: a
  steps:
    a: {type: task, command: f.ts:toss, returns: [toss], next: b}
    b: {type: task, command: f.ts:onOther, returns: [seen], next: success}
`,
      { 'f.ts': "export function toss() { return 'heads'; }\nexport function onOther(toss: string) { return `saw ${toss}`; }\n" },
    );
    expect(r.status).toBe('SUCCESS');
    expect(step(r.runLog, 'b').attempts[0]!.output_parameters.seen!.value).toBe('saw heads');
  });
});
