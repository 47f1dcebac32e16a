/**
 * The run report and the pipeline graph in a real headless Chromium: what a person sees and
 * can do (expand a map, open a step's panel, show only failures), with screenshots kept in
 * test-artifacts/views/. The page must make no network request at all.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchChromium, makeProject, runCli } from './_helpers.js';

let browser: Browser;
const project = makeProject();
const cwd = project.cwd;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  project.cleanup();
});

/** Opens a report; any request other than the file itself fails the test. */
async function open(file: string): Promise<{ page: Page; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const requests: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith('file://')) requests.push(r.url());
  });
  await page.goto(`file://${file}`);
  await page.waitForSelector('body[data-ready="1"]');
  return { page, requests };
}

async function shot(page: Page, name: string): Promise<string> {
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path, fullPage: false });
  console.log(`screenshot: ${path}`);
  return path;
}

const rowLabels = (page: Page) => page.$$eval('#gantt-spacer .row .label', (els) => els.map((e) => e.textContent ?? ''));

describe('report of a nested run (map in parallel in loop)', () => {
  it('shows the rounds, expands a map and opens a step panel', async () => {
    const run = await runCli(cwd, ['execute', 'test/views/fixtures/nested.yaml', '--run-id', 'nested-1']);
    expect(run.code, run.stderr).toBe(0);
    const out = await runCli(cwd, ['timeline', 'nested-1', '-o', 'nested.html']);
    expect(out.code, out.stderr).toBe(0);
    const { page, requests } = await open(join(cwd, 'nested.html'));
    expect(await page.textContent('#run-status')).toBe('SUCCESS');
    // the loop is folded with its round count; expand it, then its rounds
    let labels = await rowLabels(page);
    expect(labels.some((l) => /^rounds · 2 rounds \(2 ✓\)/.test(l))).toBe(true);
    await page.click('#expand-all');
    labels = await rowLabels(page);
    expect(labels.filter((l) => /^each · 3 iterations \(3 ✓\)/.test(l))).toHaveLength(2);
    expect(labels.filter((l) => l === 'work')).toHaveLength(6);
    // the pipeline graph is embedded with its clusters
    expect(await page.$$eval('#graph .cluster', (e) => e.length)).toBeGreaterThanOrEqual(5);
    // a step's panel: its input and output parameters
    await page.click('#gantt-spacer .row:has(.label:text-is("work")) .name');
    await page.waitForSelector('#panel.open');
    const panel = await page.textContent('#panel');
    expect(panel).toContain('input parameters');
    expect(panel).toContain('item');
    expect(panel).toContain('working on');
    await shot(page, 'nested-report.png');
    expect(requests).toEqual([]);
    await page.close();
  });
});

describe('report of a failed and retried run', () => {
  it('shows the attempts, filters failures and masks the secret', async () => {
    const env = { API_TOKEN: 'sekrit-token-4242' };
    const first = await runCli(cwd, ['execute', 'test/views/fixtures/retried.yaml', '--run-id', 'retried-1'], env);
    expect(first.code).toBe(1);
    const again = await runCli(cwd, ['retry', 'retried-1'], { ...env, should_pass: 'true' });
    expect(again.code, again.stderr).toBe(0);
    const out = await runCli(cwd, ['timeline', 'retried-1', '-o', 'retried.html'], env);
    expect(out.code, out.stderr).toBe(0);
    const html = readFileSync(join(cwd, 'retried.html'), 'utf8');
    expect(html).not.toContain('sekrit-token-4242');
    const { page } = await open(join(cwd, 'retried.html'));
    const labels = await rowLabels(page);
    expect(labels).toContain('flaky · 2 attempts');
    expect(labels).toContain('gate · 2 attempts');
    // failed attempts are drawn as their own red segments
    expect(await page.$$eval('.bar.fail', (e) => e.length)).toBe(2);
    await page.check('#f-failures');
    expect(await rowLabels(page)).toEqual(['flaky · 2 attempts', 'gate · 2 attempts']);
    await page.click('#gantt-spacer .row:has(.label:text-is("gate · 2 attempts")) .name');
    const panel = (await page.textContent('#panel')) ?? '';
    expect(panel).toContain('gate closed: should_pass is not true');
    expect(panel).toContain('attempt 2 — SUCCESS');
    expect(panel).toContain('token is ***');
    await shot(page, 'retried-report.png');
    await page.close();
  });
});

describe('report of a 10,000-item map', () => {
  it('opens folded, expands to 10,000 iteration rows and stays small', { timeout: 900_000 }, async () => {
    const run = await runCli(cwd, ['execute', 'test/views/fixtures/big-map.yaml', '--run-id', 'big-1'], { RUNNABLE_PRM_n: '10000' }, 600_000);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const out = await runCli(cwd, ['timeline', 'big-1', '-o', 'big.html']);
    expect(out.code, out.stderr).toBe(0);
    expect(statSync(join(cwd, 'big.html')).size).toBeLessThan(5 * 1024 * 1024);
    const { page } = await open(join(cwd, 'big.html'));
    expect(await rowLabels(page)).toContain('each · 10000 iterations (10000 ✓)');
    await page.click('#gantt-spacer .row:has(.label:text-is("each · 10000 iterations (10000 ✓)")) .toggle');
    // virtualised: the spacer is 10,003 rows tall, only the rows in view exist
    const height = await page.$eval('#gantt-spacer', (e) => parseInt((e as unknown as { style: { height: string } }).style.height, 10));
    expect(height).toBe(10003 * 22);
    expect(await page.$$eval('#gantt-spacer .row', (e) => e.length)).toBeLessThan(200);
    await page.$eval('#gantt-body', (e) => (e.scrollTop = 5000 * 22));
    await page.waitForSelector('#gantt-spacer .row .label:text-is("5000")');
    await shot(page, 'big-map-report.png');
    await page.close();
  });
});

describe('runnable graph --format html', () => {
  it('draws clusters and dashed on_failure edges, coloured by a run', async () => {
    const out = await runCli(cwd, ['graph', 'test/views/fixtures/retried.yaml', '--format', 'html', '--run', 'retried-1', '-o', 'graph.html']);
    expect(out.code, out.stderr).toBe(0);
    const page = await browser.newPage();
    await page.goto(`file://${join(cwd, 'graph.html')}`);
    expect(await page.$$eval('.node.status-ok', (e) => e.length)).toBeGreaterThanOrEqual(2);
    await shot(page, 'retried-graph.png');
    await page.close();
  });
});
