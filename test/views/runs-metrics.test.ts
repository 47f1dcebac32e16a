/**
 * Metrics across runs: `runs list --metrics` with its filters, `runs show` filters, and the
 * report's chart of a metric over the runs of the same pipeline (in Chromium).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, makeProject, runCli } from './_helpers.js';

const project = makeProject();
const cwd = project.cwd;
afterAll(() => project.cleanup());

beforeAll(async () => {
  // three runs of nested.yaml (accuracy 0.6 each), one failed run of retried.yaml
  for (const [id, tag] of [['m-1', 'exp-a'], ['m-2', 'exp-b'], ['m-3', 'exp-a']]) {
    const r = await runCli(cwd, ['execute', 'test/views/fixtures/nested.yaml', '--run-id', id!, '--tag', tag!]);
    expect(r.code, r.stderr).toBe(0);
  }
  const failed = await runCli(cwd, ['execute', 'test/views/fixtures/retried.yaml', '--run-id', 'f-1'], { API_TOKEN: 't' });
  expect(failed.code).toBe(1);
}, 300_000);

describe('runs list --metrics', () => {
  it('prints a column per metric, one row per run', async () => {
    const r = await runCli(cwd, ['runs', 'list', '--metrics']);
    expect(r.code, r.stderr).toBe(0);
    const [head, ...rows] = r.stdout.trim().split('\n').map((l) => l.split('\t'));
    expect(head).toEqual(['run_id', 'status', 'started_at', 'tag', 'accuracy']);
    const byId = Object.fromEntries(rows.map((c) => [c[0], c]));
    expect(Object.keys(byId).sort()).toEqual(['f-1', 'm-1', 'm-2', 'm-3']);
    expect(byId['m-2']).toEqual(['m-2', 'SUCCESS', expect.stringMatching(/^\d{4}-\d\d-\d\dT/), 'exp-b', '0.6']);
    expect(byId['f-1']![4]).toBe('');
  });

  it('filters by tag, status and start time', async () => {
    const ids = async (...args: string[]) => {
      const r = await runCli(cwd, ['runs', 'list', '--json', ...args]);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { run_id: string }[]).map((x) => x.run_id).sort();
    };
    expect(await ids('--tag', 'exp-a')).toEqual(['m-1', 'm-3']);
    expect(await ids('--status', 'fail')).toEqual(['f-1']);
    expect(await ids('--since', '1h')).toEqual(['f-1', 'm-1', 'm-2', 'm-3']);
    expect(await ids('--since', '2999-01-01')).toEqual([]);
    const json = JSON.parse((await runCli(cwd, ['runs', 'list', '--json', '--metrics', '--tag', 'exp-b'])).stdout);
    expect(json).toEqual([expect.objectContaining({ run_id: 'm-2', metrics: { accuracy: 0.6 } })]);
  });

  it('refuses a bad --since with one line and exit 2', async () => {
    const r = await runCli(cwd, ['runs', 'list', '--since', 'yesterday-ish']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('--since');
  });
});

describe('runs show filters', () => {
  it('keeps only the matching steps and the composites leading to them', async () => {
    const failed = await runCli(cwd, ['runs', 'show', 'f-1', '--status', 'FAIL', '--json']);
    expect(Object.keys(JSON.parse(failed.stdout).steps)).toEqual(['gate']);
    const r = await runCli(cwd, ['runs', 'show', 'm-1', '--step', 'score', '--json']);
    const log = JSON.parse(r.stdout);
    expect(Object.keys(log.steps)).toEqual(['rounds']);
    const round0 = log.steps.rounds.branches['rounds.0'];
    expect(Object.keys(round0.steps)).toEqual(['rounds.0.both']);
    expect(Object.keys(round0.steps['rounds.0.both'].branches)).toEqual(['rounds.0.both.solo']);
  });
});

describe('metric chart in the report', () => {
  it('draws one point per run of the same pipeline, the current one marked', async () => {
    const out = await runCli(cwd, ['timeline', 'm-3', '-o', 'm3.html']);
    expect(out.code, out.stderr).toBe(0);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`file://${join(cwd, 'm3.html')}`);
      await page.waitForSelector('body[data-ready="1"]');
      expect(await page.$$eval('#metric-chart circle', (e) => e.length)).toBe(3);
      expect(await page.$$eval('#metric-chart circle.current', (e) => e.length)).toBe(1);
      expect(await page.textContent('#metric-chart')).toContain('3 run(s) of this pipeline');
    } finally {
      await browser.close();
    }
  });
});
