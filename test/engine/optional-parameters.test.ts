/**
 * TypeScript's optional parameters are optional at run time, as the type says: `x?: T` missing
 * from the parameters is passed as undefined, a parameter with a default gets its default, and
 * neither fails the step nor `validate`. esbuild erases the `?`, so it is read from the module's
 * text (src/tasks/_ts_optional.ts).
 */
import { describe, expect, it } from 'vitest';
import { optionalMarks } from '../../src/tasks/_ts_optional.js';
import { typescriptTask } from '../../src/tasks/typescript.js';
import { parsePipeline } from '../../src/yaml/load-pipeline.js';
import { runYaml, step, values, workdir } from './_helpers.js';

const FUNCS = `
export function opt(x?: number, y: string = 'd') { return [x === undefined ? 'none' : x, y].join(','); }
export const arrow = async (a: number, label?: string): Promise<string> => label ?? \`a=\${a}\`;
export function obj({ a, b }: { a?: number; b?: string }) { return \`\${a ?? 'no a'}/\${b ?? 'no b'}\`; }
export function needs(x: number, y?: number) { return x + (y ?? 0); }
`;

const PIPELINE = `
dag:
  start_at: o
  steps:
    o: {type: task, command: funcs.ts:opt, returns: [o], next: ar}
    ar: {type: task, command: funcs.ts:arrow, returns: [ar], next: ob}
    ob: {type: task, command: funcs.ts:obj, returns: [ob], next: success}
`;

describe('optional TS parameters', () => {
  it('a missing `x?: T` is undefined, a default applies, an object member `b?:` is left out', async () => {
    const r = await runYaml(PIPELINE, { 'funcs.ts': FUNCS, 'params.yaml': 'a: 3\n' }, { params: 'params.yaml' });
    expect(r.status).toBe('SUCCESS');
    expect(values(r.runLog.parameters)).toMatchObject({ o: 'none,d', ar: 'a=3', ob: '3/no b' });
    // what the step received is what was set
    expect(Object.keys(step(r.runLog, 'ob').attempts[0]!.input_parameters)).toEqual(['a']);
  });

  it('a required parameter beside an optional one still fails the step, naming only it', async () => {
    const r = await runYaml(`dag:\n  start_at: n\n  steps:\n    n: {type: task, command: funcs.ts:needs, returns: [n], next: success}\n`, { 'funcs.ts': FUNCS });
    expect(r.status).toBe('FAIL');
    expect(step(r.runLog, 'n').message).toMatch(/needs parameter 'x', not set/);
  });

  it('the checks before a run (validate) require only the parameters without ? or default', async () => {
    const cwd = workdir({ 'funcs.ts': FUNCS });
    const pipeline = parsePipeline(`dag:\n  start_at: a\n  steps:\n    a: {type: task, command: funcs.ts:opt, next: b}\n    b: {type: task, command: funcs.ts:needs, next: success}\n`, 'pipeline.yaml');
    const nodes = Object.values(pipeline.graph.nodes).filter((n) => n.type === 'task');
    const inspected = await typescriptTask.inspect!(nodes as never, cwd);
    expect(inspected.map((i) => ('requires' in i ? i.requires : i))).toEqual([[], ['x']]);
  });
});

describe('optionalMarks', () => {
  it('reads `?` of declarations, arrows, generics, defaults and a single object type', () => {
    expect(optionalMarks('export function f(a: number, b?: Map<string, [number, number]>, c = (x: number) => x) {}', 'f')?.positional).toEqual([false, true, false]);
    expect(optionalMarks('export const g = async <T,>(t: T, u?: T): Promise<T> => t;', 'g')?.positional).toEqual([false, true]);
    expect(optionalMarks("export default function (this: void, s?: string) {}", 'default')?.positional).toEqual([true]);
    expect([...optionalMarks("function h({ a, 'b': bee }: { a: string; b?: number, readonly c?: 1 }) {}", 'h')!.members]).toEqual(['b', 'c']);
  });

  it('leaves alone what it cannot find once', () => {
    expect(optionalMarks('function f(a?: string): void;\nfunction f(a?: string, b?: number) {}', 'f')).toBeUndefined();
    expect(optionalMarks('export { other as f };', 'f')).toBeUndefined();
  });
});
