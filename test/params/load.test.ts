import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunnableError } from '../../src/errors.js';
import { loadInitialParameters } from '../../src/params/load.js';

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'rts-params-'));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

async function paramsError(opts: Parameters<typeof loadInitialParameters>[0]): Promise<RunnableError> {
  const e = await loadInitialParameters(opts).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(RunnableError);
  expect((e as RunnableError).code).toBe('E_PARAMS');
  return e as RunnableError;
}

describe('loadInitialParameters', () => {
  it('reads every top-level key as a json parameter', async () => {
    await writeFile(join(cwd, 'params.yaml'), 'x: 1\nname: hello\nnested: {a: [1, 2], b: null}\nflag: true\n');
    expect(await loadInitialParameters({ file: 'params.yaml', cwd, env: {} })).toEqual({
      x: { kind: 'json', value: 1 },
      name: { kind: 'json', value: 'hello' },
      nested: { kind: 'json', value: { a: [1, 2], b: null } },
      flag: { kind: 'json', value: true },
    });
  });

  it('no file and no env: no parameters; an empty file: none either', async () => {
    expect(await loadInitialParameters({ cwd, env: {} })).toEqual({});
    await writeFile(join(cwd, 'empty.yaml'), '# nothing yet\n');
    expect(await loadInitialParameters({ file: 'empty.yaml', cwd, env: {} })).toEqual({});
  });

  it('RUNNABLE_PRM_ overrides and adds, as JSON when it parses, else as a string', async () => {
    await writeFile(join(cwd, 'p.yaml'), 'x: 1\ny: keep\n');
    const params = await loadInitialParameters({
      file: 'p.yaml',
      cwd,
      env: { RUNNABLE_PRM_x: '42', RUNNABLE_PRM_list: '[1, "a"]', RUNNABLE_PRM_word: 'hello world', RUNNABLE_PRM_obj: '{"k": true}', RUNNABLE_PRM_quoted: '"7"', OTHER: '1' },
    });
    expect(params).toEqual({
      x: { kind: 'json', value: 42 },
      y: { kind: 'json', value: 'keep' },
      list: { kind: 'json', value: [1, 'a'] },
      word: { kind: 'json', value: 'hello world' },
      obj: { kind: 'json', value: { k: true } },
      quoted: { kind: 'json', value: '7' },
    });
  });

  it('-p wins over RUNNABLE_PARAMETERS_FILE, which is used when -p is absent', async () => {
    await writeFile(join(cwd, 'a.yaml'), 'from: a\n');
    await writeFile(join(cwd, 'b.yaml'), 'from: b\n');
    const env = { RUNNABLE_PARAMETERS_FILE: join(cwd, 'b.yaml') };
    expect((await loadInitialParameters({ file: 'a.yaml', cwd, env })).from!.value).toBe('a');
    expect((await loadInitialParameters({ cwd, env })).from!.value).toBe('b');
  });

  it('supports anchors and merge keys', async () => {
    await writeFile(join(cwd, 'p.yaml'), 'base: &b {lr: 0.1, epochs: 3}\n<<: *b\nepochs: 5\n');
    const p = await loadInitialParameters({ file: 'p.yaml', cwd, env: {} });
    expect(p).toEqual({ base: { kind: 'json', value: { lr: 0.1, epochs: 3 } }, lr: { kind: 'json', value: 0.1 }, epochs: { kind: 'json', value: 5 } });
  });

  it('a top level that is not a mapping is an error naming the file', async () => {
    await writeFile(join(cwd, 'list.yaml'), '- 1\n- 2\n');
    const e = await paramsError({ file: 'list.yaml', cwd, env: {} });
    expect(e.where.file).toBe('list.yaml');
    expect(e.format()).toMatch(/^list\.yaml:1: .*must be a mapping.*found a list/);
    await writeFile(join(cwd, 'scalar.yaml'), 'just text\n');
    expect((await paramsError({ file: 'scalar.yaml', cwd, env: {} })).message).toMatch(/found a single value/);
  });

  it('invalid YAML is an error naming the file and line', async () => {
    await writeFile(join(cwd, 'bad.yaml'), 'a: 1\nb: 2\nc: [1, 2\nd: 4\n');
    const e = await paramsError({ file: 'bad.yaml', cwd, env: {} });
    expect(e.where).toMatchObject({ file: 'bad.yaml' });
    expect(e.where.line).toBeGreaterThanOrEqual(3);
    expect(e.format()).toMatch(/^bad\.yaml:\d+: invalid YAML/);
    await writeFile(join(cwd, 'dup.yaml'), 'a: 1\nb: 2\na: 3\n');
    expect((await paramsError({ file: 'dup.yaml', cwd, env: {} })).format()).toMatch(/^dup\.yaml:3: invalid YAML: Map keys must be unique/);
  });

  it('a missing file is an error naming it', async () => {
    const e = await paramsError({ file: 'nope.yaml', cwd, env: {} });
    expect(e.format()).toBe('nope.yaml: cannot read parameters file: no such file');
    const abs = await paramsError({ file: join(cwd, 'nope.yaml'), cwd, env: {} });
    expect(abs.where.file).toBe('nope.yaml');
  });

  it('invalid names are errors naming the file, line and key', async () => {
    await writeFile(join(cwd, 'names.yaml'), 'ok: 1\n1abc: 2\n');
    const e = await paramsError({ file: 'names.yaml', cwd, env: {} });
    expect(e.where).toEqual({ file: 'names.yaml', line: 2, field: '1abc' });
    expect(e.message).toMatch(/invalid parameter name '1abc'/);
    await writeFile(join(cwd, 'dash.yaml'), '"my-param": 2\n');
    expect((await paramsError({ file: 'dash.yaml', cwd, env: {} })).message).toMatch(/'my-param'/);
    await writeFile(join(cwd, 'proto.yaml'), '__proto__: {polluted: true}\n');
    expect((await paramsError({ file: 'proto.yaml', cwd, env: {} })).message).toMatch(/__proto__.*reserved/);
    const env = await paramsError({ cwd, env: { 'RUNNABLE_PRM_bad-name': '1' } });
    expect(env.message).toMatch(/'bad-name' in environment variable RUNNABLE_PRM_bad-name/);
  });

  it('values that JSON cannot carry are rejected', async () => {
    await writeFile(join(cwd, 'inf.yaml'), 'a: 1\nlimits: {max: .inf}\n');
    const e = await paramsError({ file: 'inf.yaml', cwd, env: {} });
    expect(e.message).toMatch(/parameter 'limits' is not a JSON value \(limits\.max is Infinity/);
    expect(e.where.line).toBe(2);
  });
});
