/**
 * Issue 13 item 7, part 2: branches of a map or parallel step that `put` one catalog name used to
 * overwrite each other's file in silence, the run log recording a hash per branch for one file.
 * Now the put that would overwrite a name a sibling branch declared fails its step, naming both
 * steps (src/nodes/_put_claims.ts), and so does a glob's put of a name a sibling's glob put with
 * other bytes, under `local` with max_parallel and under `emulate` (step
 * processes, as containers, Slurm and Argo run them), on the file-system and the s3 catalog; and
 * what runs one after another still overwrites as files do: the same step again, later steps
 * of the branch, a retry, loop iterations, steps after the fan-in. The built CLI (`npm run build`).
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogs, type CatalogStore } from '../../src/catalog/index.js';
import type { RunLog, StepLog } from '../../src/runlog/types.js';
import { startS3, type TestS3 } from '../_s3.js';
import { cli, workdir, type CliResult } from './_cli.js';

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3(['collisions']);
});
afterAll(async () => {
  await s3?.close();
});

/** The reproduction: every item writes out.txt with its own content and puts it by name. */
const REPRO = `dag:
  start_at: fan
  steps:
    fan:
      type: map
      iterate_on: items
      iterate_as: item
      next: success
      branch:
        start_at: write
        steps:
          write:
            type: task
            command_type: shell
            command: 'echo "content of $item" > out.txt'
            catalog: {put: [out.txt]}
            next: success
`;

/** Two globs selecting one name: each item writes parts/same.txt with its own bytes, one after the other, and puts parts/*.txt. */
const GLOBS = `dag:
  start_at: fan
  steps:
    fan:
      type: map
      iterate_on: items
      iterate_as: item
      next: success
      branch:
        start_at: w
        steps:
          w: {type: task, command_type: shell, command: 'mkdir -p parts; echo "content of $item" > parts/same.txt', catalog: {put: ["parts/*.txt"]}, next: success}
`;

/** What may overwrite: steps one after another in a branch, a glob taking the siblings' files, loop iterations, a map per iteration, steps after the fan-in. */
const ALLOWED = `dag:
  start_at: prep
  steps:
    prep: {type: task, command_type: shell, command: 'echo prep > out.txt', catalog: {put: [out.txt]}, next: par}
    par:
      type: parallel
      next: fan
      branches:
        x:
          start_at: x1
          steps:
            x1: {type: task, command_type: shell, command: 'echo x1 > x.txt', catalog: {put: [x.txt]}, next: x2}
            x2: {type: task, command_type: shell, command: 'echo x2 > x.txt', catalog: {put: [x.txt]}, next: success}
        y:
          start_at: y1
          steps:
            y1: {type: task, command_type: shell, command: 'echo y1 > y.txt', catalog: {put: [y.txt]}, next: success}
    fan:
      type: map
      iterate_on: items
      iterate_as: item
      next: rounds
      branch:
        start_at: w
        steps:
          w: {type: task, command_type: shell, command: 'echo "part $item" > "out-$item.txt"', catalog: {put: ["out-*.txt"]}, next: success}
    rounds:
      type: loop
      max_iterations: 2
      break_on: done
      index_as: round
      next: after
      branch:
        start_at: pick
        steps:
          pick: {type: task, command_type: shell, command: 'echo "round $round" > round.txt; export picks="[\\"r$round\\"]"; export done=false', returns: [picks, done], catalog: {put: [round.txt]}, next: inner}
          inner:
            type: map
            iterate_on: picks
            iterate_as: pick
            next: success
            branch:
              start_at: m
              steps:
                m: {type: task, command_type: shell, command: 'echo "$pick" > m.txt', catalog: {put: [m.txt]}, next: success}
    after: {type: task, command_type: shell, command: 'echo after > out.txt; echo after > x.txt', catalog: {put: [out.txt, x.txt]}, next: success}
`;

/** Branch a puts out.txt, then fails in its next step; b fails before its put. A retry after the fix. */
const RETRIED = `dag:
  start_at: fan
  steps:
    fan:
      type: map
      iterate_on: items
      iterate_as: item
      next: success
      branch:
        start_at: write
        steps:
          write: {type: task, command_type: shell, command: 'if [ "$item" = b ] && [ ! -f fixed ]; then exit 1; fi; echo "$item" > out.txt', catalog: {put: [out.txt]}, next: again}
          again: {type: task, command_type: shell, command: 'if [ "$item" = a ] && [ ! -f fixed ]; then exit 1; fi; echo "again $item" > out.txt', catalog: {put: [out.txt]}, next: success}
`;

/** A map inside one branch of a parallel, a plain step in the other, both putting n.txt. */
const NESTED = `dag:
  start_at: par
  steps:
    par:
      type: parallel
      next: success
      branches:
        x:
          start_at: fan
          steps:
            fan:
              type: map
              iterate_on: items
              iterate_as: item
              next: success
              branch:
                start_at: w
                steps:
                  w: {type: task, command_type: shell, command: 'echo "x $item" > n.txt', catalog: {put: [n.txt]}, next: success}
        y:
          start_at: w
          steps:
            w: {type: task, command_type: shell, command: 'echo y > n.txt', catalog: {put: [n.txt]}, next: success}
`;

/** Driven step by step through the protocol commands, as Argo's pods do. */
const PROTOCOL = `dag:
  start_at: par
  steps:
    par:
      type: parallel
      next: success
      branches:
        x:
          start_at: x1
          steps:
            x1: {type: task, command_type: shell, command: 'echo "attempt $RUNNABLE_STEP_ATTEMPT" > x.txt', catalog: {put: [x.txt]}, next: success}
        y:
          start_at: y1
          steps:
            y1: {type: task, command_type: shell, command: 'echo y > x.txt', catalog: {put: [x.txt]}, next: success}
`;

interface CatalogKind {
  /** the config file's catalog section for a working directory */
  section(dir: string): string;
  /** the same catalog, from the test's side */
  open(dir: string): CatalogStore;
  env(): Record<string, string>;
}

const kinds: Record<string, CatalogKind> = {
  'file-system': {
    section: () => 'catalog: {type: file-system}',
    open: (dir) => catalogs.create('file-system', {}, { cwd: dir, env: {} }),
    env: () => ({}),
  },
  s3: {
    section: (dir) =>
      `catalog: {type: s3, config: {bucket: collisions/${basename(dir)}, endpoint_url: '${s3.endpoint}', region: us-east-1, ` +
      `aws_access_key_id: '\${AWS_ACCESS_KEY_ID}', aws_secret_access_key: '\${AWS_SECRET_ACCESS_KEY}'}}`,
    open: (dir) => catalogs.create('s3', s3.config(`collisions/${basename(dir)}`), { cwd: dir, env: {} }),
    env: () => s3.env,
  },
};

const EXECUTORS = {
  local: 'pipeline-executor: {type: local, config: {max_parallel: 3}}',
  emulate: 'pipeline-executor: {type: emulate, config: {max_parallel: 3}}\nrun-log-store: {type: chunked-fs}',
};
/** One branch at a time, in item order: which put comes second is known. */
const SEQUENTIAL = {
  local: 'pipeline-executor: {type: local, config: {max_parallel: 1}}',
  emulate: 'pipeline-executor: {type: emulate, config: {max_parallel: 1}}\nrun-log-store: {type: chunked-fs}',
};

function steps(log: RunLog): StepLog[] {
  const out: StepLog[] = [];
  const walk = (s: Record<string, StepLog>) => {
    for (const step of Object.values(s)) {
      out.push(step);
      for (const b of Object.values(step.branches ?? {})) walk(b.steps);
    }
  };
  walk(log.steps);
  return out;
}
const step = (log: RunLog, name: string): StepLog => {
  const s = steps(log).find((x) => x.internal_name === name);
  if (!s) throw new Error(`no step ${name}`);
  return s;
};
const puts = (s: StepLog, name: string) => s.data_catalog.filter((d) => d.stage === 'put' && d.name === name);

async function execute(cwd: string, kind: CatalogKind, args: string[]): Promise<CliResult & { log: RunLog }> {
  const r = await cli(['execute', 'pipeline.yaml', '-c', 'config.yaml', '--json', ...args], cwd, kind.env());
  let log: RunLog;
  try {
    log = (JSON.parse(r.stdout) as { run_log: RunLog }).run_log;
  } catch {
    throw new Error(`no run log printed (exit ${r.code}): ${r.stderr}`);
  }
  return { ...r, log };
}

describe.each(Object.keys(kinds))('catalog %s', (kindName) => {
  const kind = kinds[kindName]!;

  it.each(Object.keys(EXECUTORS) as (keyof typeof EXECUTORS)[])(
    'the reproduction under %s: the branches after the first fail, naming both steps; the catalog holds the one recorded file',
    async (executor) => {
      const cwd = workdir({ 'pipeline.yaml': REPRO, 'params.yaml': 'items: [a, b, c]\n' });
      writeFileSync(`${cwd}/config.yaml`, `${EXECUTORS[executor]}\n${kind.section(cwd)}\n`);
      const r = await execute(cwd, kind, ['-p', 'params.yaml']);
      expect(r.code, r.stderr).toBe(1);
      expect(r.log.status).toBe('FAIL');
      const writes = ['a', 'b', 'c'].map((i) => step(r.log, `fan.${i}.write`));
      const won = writes.filter((s) => s.status === 'SUCCESS');
      expect(won, writes.map((s) => s.message).join('\n')).toHaveLength(1);
      const winner = won[0]!;
      for (const lost of writes.filter((s) => s !== winner)) {
        expect(lost.status).toBe('FAIL');
        expect(lost.message).toBe(
          `catalog put: 'out.txt' was already put by step '${winner.internal_name}', another branch of map 'fan'; ` +
            `step '${lost.internal_name}' would overwrite it: include the map variable 'item' in the file name (e.g. write 'out-<item>.txt' and put 'out-*.txt')`,
        );
        expect(puts(lost, 'out.txt')).toEqual([]);
        expect(r.stderr).toContain(lost.message);
      }
      // one file, one hash: the catalog's bytes are the ones the run log records
      const recorded = puts(winner, 'out.txt');
      expect(recorded).toHaveLength(1);
      const catalog = kind.open(cwd);
      expect(sha(await catalog.readFile(r.log.run_id, 'out.txt'))).toBe(recorded[0]!.data_hash);
      expect((await catalog.list(r.log.run_id)).filter((f) => !f.startsWith('.'))).toEqual(['out.txt']);
    },
    30_000,
  );

  it.each(Object.keys(SEQUENTIAL) as (keyof typeof SEQUENTIAL)[])(
    'two globs selecting one name with other bytes under %s: the second branch fails naming both steps; one hash for the name',
    async (executor) => {
      const cwd = workdir({ 'pipeline.yaml': GLOBS, 'params.yaml': 'items: [a, b]\n' });
      writeFileSync(`${cwd}/config.yaml`, `${SEQUENTIAL[executor]}\n${kind.section(cwd)}\n`);
      const r = await execute(cwd, kind, ['-p', 'params.yaml']);
      expect(r.code, r.stderr).toBe(1);
      const [a, b] = [step(r.log, 'fan.a.w'), step(r.log, 'fan.b.w')];
      expect(a.status, a.message).toBe('SUCCESS');
      expect(b.status).toBe('FAIL');
      const message =
        "catalog put: 'parts/same.txt' was already put by step 'fan.a.w', another branch of map 'fan'; step 'fan.b.w' would overwrite it: " +
        "include the map variable 'item' in the file name (e.g. write 'parts/same-<item>.txt' and put 'parts/same-*.txt')";
      expect(b.message).toBe(message);
      expect(r.stderr).toContain(message);
      // the run log records one hash for the name, and the catalog holds those bytes
      const recorded = steps(r.log).flatMap((s) => puts(s, 'parts/same.txt'));
      expect(recorded.map((d) => d.data_hash)).toEqual([sha('content of a\n')]);
      const catalog = kind.open(cwd);
      expect((await catalog.readFile(r.log.run_id, 'parts/same.txt')).toString()).toBe('content of a\n');
      expect((await catalog.list(r.log.run_id)).filter((f) => !f.startsWith('.'))).toEqual(['parts/same.txt']);
    },
    30_000,
  );

  it('what runs one after another overwrites: later steps of a branch, globs over the shared working directory, loop iterations, after the fan-in', async () => {
    const cwd = workdir({ 'pipeline.yaml': ALLOWED, 'params.yaml': 'items: [a, b, c]\n' });
    // one branch at a time: a glob then takes whole files of the siblings (at once, it could catch one half-written and be refused)
    writeFileSync(`${cwd}/config.yaml`, `${SEQUENTIAL.local}\n${kind.section(cwd)}\n`);
    const r = await execute(cwd, kind, ['-p', 'params.yaml']);
    expect(r.code, r.stderr).toBe(0);
    const catalog = kind.open(cwd);
    const text = async (f: string) => (await catalog.readFile(r.log.run_id, f)).toString().trim();
    expect((await catalog.list(r.log.run_id)).filter((f) => !f.startsWith('.'))).toEqual(['m.txt', 'out-a.txt', 'out-b.txt', 'out-c.txt', 'out.txt', 'round.txt', 'x.txt', 'y.txt']);
    expect(await text('out.txt')).toBe('after');
    expect(await text('x.txt')).toBe('after');
    expect(await text('round.txt')).toBe('round 1');
    expect(await text('m.txt')).toBe('r1');
    for (const i of ['a', 'b', 'c']) {
      expect(await text(`out-${i}.txt`)).toBe(`part ${i}`);
      expect(puts(step(r.log, `fan.${i}.w`), `out-${i}.txt`)[0]?.data_hash).toBe(sha(`part ${i}\n`));
    }
    expect(step(r.log, 'rounds.0.inner.r0.m').status).toBe('SUCCESS');
    expect(step(r.log, 'rounds.1.inner.r1.m').status).toBe('SUCCESS');
  }, 30_000);
});

/** What the claims decide is the same whatever the catalog: these run on the file-system one only. */
describe('catalog file-system: retry, nesting, the step-at-a-time protocol', () => {
  const kind = kinds['file-system']!;

  it('a retry keeps what each branch put: the branch that put it puts it again, a sibling is still refused', async () => {
    const cwd = workdir({ 'pipeline.yaml': RETRIED, 'params.yaml': 'items: [a, b]\n' });
    writeFileSync(`${cwd}/config.yaml`, `pipeline-executor: {type: local}\n${kind.section(cwd)}\n`);
    const first = await execute(cwd, kind, ['-p', 'params.yaml']);
    expect(first.code, first.stderr).toBe(1);
    expect(step(first.log, 'fan.a.write').status).toBe('SUCCESS');
    expect(step(first.log, 'fan.b.write').message).not.toContain('catalog put');
    writeFileSync(`${cwd}/fixed`, '');
    const retried = await cli(['retry', first.log.run_id, '-c', 'config.yaml', '--json'], cwd, kind.env());
    expect(retried.code, retried.stderr).toBe(1);
    const log = (JSON.parse(retried.stdout) as { run_log: RunLog }).run_log;
    expect(step(log, 'fan.a.again').status).toBe('SUCCESS');
    expect(step(log, 'fan.b.write').message).toMatch(/^catalog put: 'out.txt' was already put by step 'fan\.a\.again', another branch of map 'fan'; step 'fan\.b\.write' would overwrite it/);
    expect((await kind.open(cwd).readFile(log.run_id, 'out.txt')).toString()).toBe('again a\n');
  }, 30_000);

  it('nested: a map in one branch of a parallel and a step in the other are siblings of the parallel', async () => {
    const cwd = workdir({ 'pipeline.yaml': NESTED, 'params.yaml': 'items: [1]\n' });
    writeFileSync(`${cwd}/config.yaml`, `${EXECUTORS.local}\n${kind.section(cwd)}\n`);
    const r = await execute(cwd, kind, ['-p', 'params.yaml']);
    expect(r.code, r.stderr).toBe(1);
    const [xw, yw] = [step(r.log, 'par.x.fan.1.w'), step(r.log, 'par.y.w')];
    const lost = [xw, yw].filter((s) => s.status === 'FAIL');
    expect(lost).toHaveLength(1);
    const winner = lost[0] === xw ? yw : xw;
    const own = lost[0] === xw ? "'n-x.txt'" : "'n-y.txt'";
    expect(lost[0]!.message).toBe(
      `catalog put: 'n.txt' was already put by step '${winner.internal_name}', another branch of parallel 'par'; ` +
        `step '${lost[0]!.internal_name}' would overwrite it: give each branch's file a name of its own (e.g. ${own})`,
    );
  }, 30_000);

  it('step by step, as Argo pods run: the same step again overwrites, the sibling is refused', async () => {
    const cwd = workdir({ 'pipeline.yaml': PROTOCOL });
    writeFileSync(`${cwd}/config.yaml`, `${kind.section(cwd)}\n`);
    const env = kind.env();
    const run = 'collide-protocol';
    const ok = async (args: string[]) => {
      const r = await cli([...args, '-c', 'config.yaml'], cwd, env);
      expect(r.code, r.stderr).toBe(0);
    };
    await ok(['open-run', run, 'pipeline.yaml']);
    await ok(['fan', run, 'par', 'pipeline.yaml', 'in']);
    await ok(['execute-single-node', run, 'pipeline.yaml', 'par.x.x1']);
    await ok(['execute-single-node', run, 'pipeline.yaml', 'par.x.x1']);
    const y = await cli(['execute-single-node', run, 'pipeline.yaml', 'par.y.y1', '-c', 'config.yaml'], cwd, env);
    expect(y.code).toBe(1);
    expect(y.stderr).toContain(
      "catalog put: 'x.txt' was already put by step 'par.x.x1', another branch of parallel 'par'; step 'par.y.y1' would overwrite it: give each branch's file a name of its own (e.g. 'x-y.txt')",
    );
    expect((await kind.open(cwd).readFile(run, 'x.txt')).toString()).toBe('attempt 2\n');
  }, 30_000);
});
