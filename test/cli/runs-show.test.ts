/**
 * `runnable runs show` and `runs diff` as text, through the built CLI (build first): a run with a
 * map of 30 items, a step failing then retried with `runnable retry`, a catalog put and a metric.
 * Attempts keep their own durations, terminal steps say where a run ended, big maps are counted,
 * `--failed` keeps the failed steps and their log files; diff columns line up, long values are
 * cut, empty sections left out, each metric named once.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, workdir } from '../engine/_helpers.js';

const PIPELINE = `
dag:
  start_at: prep
  steps:
    prep:
      type: task
      command_type: shell
      command: 'echo "data $n" > data.txt; export m=$((n * 3)); export items="[$(seq -s, 1 30)]"'
      returns: [{name: m, kind: metric}, items]
      catalog: {put: [data.txt]}
      next: fan
    fan:
      type: map
      iterate_on: items
      iterate_as: it
      next: flaky
      branch:
        start_at: work
        steps:
          work:
            type: task
            command_type: shell
            command: 'if [ "$it" = 7 ] && [ ! -f ok7 ]; then echo "bad item $it" >&2; exit 3; fi; echo "did $it"'
            next: success
    flaky:
      type: task
      command_type: shell
      command: 'if [ ! -f okf ]; then echo "not yet" >&2; exit 1; fi; echo fine'
      next: success
`;
const PLAIN = `
dag:
  start_at: one
  steps:
    one: {type: task, command_type: shell, command: 'echo "$x"', next: success}
`;

let cwd: string;
beforeAll(async () => {
  cwd = workdir({ 'p.yaml': PIPELINE, 'plain.yaml': PLAIN });
  const expectCode = async (args: string[], code: number, env: Record<string, string> = {}) => {
    const r = await cli(args, cwd, env);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
  };
  // r2 first: it shares the working directory, and r1's retries start once its flag files are there
  await Promise.all([
    expectCode(['execute', 'p.yaml', '--run-id', 'r2'], 1, { RUNNABLE_PRM_n: '5' }), // fails at fan.7.work
    expectCode(['execute', 'plain.yaml', '--run-id', 'p1'], 0, { RUNNABLE_PRM_x: '1' }),
    expectCode(['execute', 'plain.yaml', '--run-id', 'p2'], 0, { RUNNABLE_PRM_x: '2' }),
  ]);
  // fan.7.work fails, then flaky, then the run succeeds; each retry well after the attempt before
  await expectCode(['execute', 'p.yaml', '--run-id', 'r1'], 1, { RUNNABLE_PRM_n: '2' });
  await new Promise((r) => setTimeout(r, 1200));
  writeFileSync(join(cwd, 'ok7'), '');
  await expectCode(['retry', 'r1'], 1);
  await new Promise((r) => setTimeout(r, 1200));
  writeFileSync(join(cwd, 'okf'), '');
  await expectCode(['retry', 'r1'], 0);
}, 60_000);

const show = async (...args: string[]) => {
  const r = await cli(['runs', 'show', ...args], cwd);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).not.toMatch(/\x1b\[/);
  return r.stdout;
};
/** the line of a step: its name, then its type column */
const stepLine = (out: string, name: string) => out.split('\n').find((l) => new RegExp(`^\\s+${name.replace(/\./g, '\\.')}\\s+\\w+\\s`).test(l));

describe.concurrent('runnable runs show', () => {
  it('a retried step: each attempt with its own status, duration and log file, not the time between retries', async ({ expect }) => {
    const out = await show('r1');
    expect(out).toMatch(/^run r1 SUCCESS$/m);
    expect(stepLine(out, 'flaky')).toMatch(/^\s+flaky\s+task\s+SUCCESS \d+ms {2}2 attempts$/);
    expect(out).toMatch(/^\s+attempt 1 FAIL \d+ms {2}log \.catalog\/r1\/\.logs\/flaky\.attempt-1\.log$/m);
    expect(out).toMatch(/^\s+exit code 1 … not yet$/m); // the earlier attempt's error in one line
    expect(out).toMatch(/^\s+attempt 2 SUCCESS \d+ms {2}log \.catalog\/r1\/\.logs\/flaky\.attempt-2\.log$/m);
    expect(readFileSync(join(cwd, '.catalog/r1/.logs/flaky.attempt-2.log'), 'utf8')).toContain('fine');
    // the map's own attempts too: the second only closed the iterations left
    expect(stepLine(out, 'fan')).toMatch(/^\s+fan\s+map\s+SUCCESS \d+ms {2}2 attempts$/);
    const inner = await show('r1', '--all', '--step', 'fan.7.work');
    expect(stepLine(inner, 'fan.7.work')).toMatch(/SUCCESS \d+ms {2}2 attempts$/);
    expect(inner).toMatch(/attempt 1 FAIL \d+ms {2}log \.catalog\/r1\/\.logs\/fan\.7\.work\.attempt-1\.log/);
  });

  it('terminal steps say where the run or branch ended; catalog files with stage, name and short hash', async ({ expect }) => {
    const out = await show('r1');
    expect(stepLine(out, 'success')).toMatch(/^\s+success\s+success\s+the run succeeded here$/);
    expect(stepLine(out, 'fail')).toMatch(/^\s+fail\s+fail\s+the run failed here before a retry \(2 times\)$/);
    expect(out).not.toMatch(/^\s+(success|fail)\s+.*SUCCESS/m);
    expect(out).toMatch(/^\s+put data\.txt [0-9a-f]{12}$/m);
    expect(out).toMatch(/^\s+catalog\s+\.catalog\/r1$/m);
    expect(out).toMatch(/^\s+m \(metric\) = 6$/m);
    const r2 = await show('r2');
    expect(stepLine(r2, 'fail')).toMatch(/the run failed here$/);
    expect(stepLine(r2, 'fan.7.fail')).toMatch(/\s+fail\s+the branch failed here$/);
  });

  it('a map of more than 10 items: counts by status and the failed ones; --all lists every one', async ({ expect }) => {
    const r1 = await show('r1');
    expect(r1).toMatch(/^\s+30 items: 30 SUCCESS; 1 after more than one attempt \(7\) {2}\(--all lists each\)$/m);
    expect(r1).not.toContain('fan.1.work');
    const r2 = await show('r2');
    expect(r2).toMatch(/^\s+30 items: 29 SUCCESS, 1 FAIL {2}\(--all lists each\)$/m);
    expect(r2).toMatch(/^\s+fan\.7\.work\s+task\s+FAIL \d+ms$/m);
    expect(r2).toMatch(/^\s+bad item 7$/m);
    expect(r2).not.toMatch(/fan\.(1|30)\.work/);
    const all = await show('r2', '--all');
    for (const i of [1, 7, 30]) expect(all).toContain(`fan.${i}.work`);
    expect(all).not.toContain('items:');
    expect(all).toMatch(/log \.catalog\/r2\/\.logs\/fan\.30\.work\.attempt-1\.log/);
  });

  it('--failed: only the failed steps, the composites leading to them, their errors and log files', async ({ expect }) => {
    const out = await show('r2', '--failed');
    expect(out).toMatch(/^ {2}failed steps$/m);
    expect(stepLine(out, 'fan')).toMatch(/map\s+FAIL/);
    expect(stepLine(out, 'fan.7.work')).toMatch(/task\s+FAIL/);
    expect(out).toMatch(/^\s+log \.catalog\/r2\/\.logs\/fan\.7\.work\.attempt-1\.log$/m);
    for (const name of ['prep', 'flaky', 'fail', 'success', 'fan.7.fail']) expect(stepLine(out, name)).toBeUndefined();
    expect(out).not.toContain('parameters');
    expect(await show('r1', '--failed')).toMatch(/^ {2}failed steps\n {4}none\n$/m);
  });

  it('--json is the run log, unchanged', async ({ expect }) => {
    const r = await cli(['runs', 'show', 'r1', '--json', '--all'], cwd);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(readFileSync(join(cwd, '.run_log_store', 'r1.json'), 'utf8')));
  });
});

describe.concurrent('runnable runs diff', () => {
  it('aligned columns, long values cut with an ellipsis, each metric once', async ({ expect }) => {
    const r = await cli(['runs', 'diff', 'r1', 'r2', '--all'], cwd);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => l.includes(' |  '));
    expect(rows.length).toBeGreaterThan(60);
    expect(new Set(rows.map((l) => l.indexOf(' |  '))).size).toBe(1);
    expect(r.stdout).toMatch(/^\s+items\s+\[1,2,3,[\d,]+…\s+\|\s+\[1,2,3,[\d,]+…$/m);
    expect(r.stdout).toContain('--json has them whole');
    expect(r.stdout).toMatch(/^\s+m\s+6\s+\|\s+15$/m);
    expect(r.stdout).not.toContain('prep:m');
    expect(r.stdout).toMatch(/^\s+flaky\s+SUCCESS \d+ms ×2\s+\|\s+-$/m); // its last attempt, not the span since the first
    expect(r.stdout).toMatch(/^\s+success\s+reached\s+\|\s+-$/m);

    const json = JSON.parse((await cli(['runs', 'diff', 'r1', 'r2', '--json'], cwd)).stdout);
    expect(json.parameters).toContainEqual(expect.objectContaining({ name: 'items', a: Array.from({ length: 30 }, (_, i) => i + 1) }));
    expect(json.metrics.map((m: { name: string }) => m.name)).toEqual(['m']);
  });

  it('sections with nothing in them are left out', async ({ expect }) => {
    const r = await cli(['runs', 'diff', 'p1', 'p2'], cwd);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^parameters$/m);
    expect(r.stdout).toMatch(/^\s+x\s+1\s+\|\s+2$/m);
    expect(r.stdout).toMatch(/^steps$/m);
    expect(r.stdout).not.toMatch(/^(metrics|catalog)/m);
  });
});
