/**
 * The contract every task kind passes (SPEC §3; src/tasks/types.ts), against each registered
 * `command_type` with the programs its fixture in _members.ts writes: parameters in, returns
 * out, failures, the task's own env, abort, and the cache identity the step cache keys it on
 * (which must cover every parameter the task receives). The notebook member starts a real
 * Jupyter kernel per run, so this file takes a while.
 */
import { Console } from 'node:console';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParameterKind } from '../../src/graph/model.js';
import type { Parameters } from '../../src/runlog/types.js';
import { taskKinds } from '../../src/tasks/index.js';
import type { TaskOutput } from '../../src/tasks/types.js';
import { memberFixture } from '../_members.js';
import { failure, paramView, sink, taskInput, taskNode, type CollectingSink } from './_helpers.js';
import { taskKindMembers } from './_members.js';

const SLOW = { timeout: 180_000 };

// vitest replaces the global console with its own; a CLI run has Node's, which writes through
// process.stdout/stderr (where an in-process task's output is captured). Restore that here.
const vitestConsole = globalThis.console;
beforeAll(() => {
  globalThis.console = new Console({ stdout: process.stdout, stderr: process.stderr });
});
afterAll(() => {
  globalThis.console = vitestConsole;
});

/** The parameters every run sees: two the `sum` program takes, one it does not, and an object (a catalog reference). */
const VISIBLE: Parameters = {
  x: { kind: 'json', value: 2 },
  y: { kind: 'json', value: 3 },
  other: { kind: 'json', value: 'unused' },
  o: { kind: 'object', value: '.objects/_root/o.v8' },
};

describe.each(taskKinds.types())('task kind contract: %s', (type) => {
  const fixture = memberFixture(taskKindMembers, type, 'test/tasks/_members.ts');
  if (!fixture) return;
  const kind = taskKinds.get(type);

  let dir: string;
  let commands: { sum: string; fail: string; env: string };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `task-${type}-`));
    commands = await fixture.write(dir);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const node = (command: string, returns: string[] = []) => taskNode(kind.type, command, returns);
  const run = async (
    command: string,
    opts: { returns?: string[]; env?: Record<string, string>; signal?: AbortSignal; params?: Parameters } = {},
  ): Promise<{ output: CollectingSink; result: Promise<TaskOutput> }> => {
    const params = opts.params ?? VISIBLE;
    const values = Object.fromEntries(Object.entries(params).map(([n, p]) => [n, p.value]));
    const kinds = Object.fromEntries(Object.entries(params).map(([n, p]) => [n, p.kind])) as Record<string, ParameterKind>;
    const output = sink();
    const input = {
      ...taskInput(node(command, opts.returns), { params: paramView(values, kinds), env: opts.env, cwd: dir, output, signal: opts.signal }),
      internalName: 'contract_step',
      saveToCatalog: async () => undefined,
    };
    const result = kind.run(input);
    result.catch(() => undefined);
    return { output, result };
  };
  it('is registered under its command_type and names what a change of its code is', () => {
    expect(kind.type).toBe(type);
    expect(kind.sourceChanged).toMatch(/\S+ changed$/);
  });

  it('binds its parameters, shows its output and maps its return', SLOW, async () => {
    const { output, result } = await run(commands.sum, { returns: ['total'] });
    const out = await result;
    expect(out.returns).toEqual({ total: 5 });
    expect(out.consumed).toEqual(expect.arrayContaining(['x', 'y']));
    expect(out.consumed).not.toContain('o');
    expect(output.out()).toContain('total=5');
  });

  it('keys the step cache on every parameter it receives, the same way each time', SLOW, async () => {
    const { result } = await run(commands.sum, { returns: ['total'] });
    const { consumed } = await result;
    const identity = await kind.cacheIdentity(node(commands.sum, ['total']), dir, VISIBLE);
    expect(identity.source).toMatch(/^([0-9a-f]{64})?$/);
    for (const name of consumed) expect(identity.receives).toContain(name);
    for (const name of identity.receives) expect(Object.keys(VISIBLE)).toContain(name);
    expect(await kind.cacheIdentity(node(commands.sum, ['total']), dir, VISIBLE)).toEqual(identity);
    // what it would receive depends on what is visible
    const fewer = await kind.cacheIdentity(node(commands.sum, ['total']), dir, { x: VISIBLE.x! });
    expect(fewer.receives).not.toContain('y');
  });

  it('changing the code behind the command (in place) changes its cache identity', SLOW, async (ctx) => {
    if (!fixture.edit) ctx.skip();
    const before = await kind.cacheIdentity(node(commands.sum), dir, VISIBLE);
    await fixture.edit!(dir);
    const after = await kind.cacheIdentity(node(commands.sum), dir, VISIBLE);
    expect(after.source).not.toBe(before.source);
    expect(after.receives).toEqual(before.receives);
  });

  it('a failing command fails the task (TaskFailure), its stderr shown', SLOW, async () => {
    const { output, result } = await run(commands.fail);
    await failure(result);
    expect(output.err()).toContain('boom');
  });

  it("gets the task's own env, which does not leak into this process", SLOW, async () => {
    const { output, result } = await run(commands.env, { env: { RUNNABLE_CONTRACT_VAR: 'contract value ✓' } });
    await result;
    expect(output.out()).toContain('var=contract value ✓');
    expect(process.env.RUNNABLE_CONTRACT_VAR).toBeUndefined();
  });

  it('an aborted task fails without running', async () => {
    const abort = new AbortController();
    abort.abort();
    const { output, result } = await run(commands.sum, { returns: ['total'], signal: abort.signal });
    await failure(result);
    expect(output.out()).not.toContain('total=');
  });
});
