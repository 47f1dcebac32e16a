// Run views: `runnable timeline` for a 10,000-step run (time to write the report, its size,
// and how soon the page is interactive in headless Chromium), and the cost of OpenTelemetry
// when it is off (a 300-step chain, telemetry unset; against RUNNABLE_TS_CLI_BEFORE, a build
// without telemetry, when given) and when on (spans sent to a receiver on loopback).
import { spawn, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { workspace, fmt, overheadFiles } from './_workspace.mjs';

const bin = process.env.RUNNABLE_TS_CLI ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'runnable.js');
const ITEMS = Number(process.env.VIEWS_BENCH_ITEMS ?? 10_000);
const ws = workspace(overheadFiles(300, ITEMS));
const run = (args, env = {}, cli = bin) => {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: ws.dir, env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`runnable ${args.join(' ')}: exit ${r.status}\n${r.stderr.slice(-2000)}`);
  return performance.now() - t0;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (process.env.VIEWS_BENCH_SKIP_REPORT !== '1') {
// --- the report of a 10,000-step run
run(['execute', 'map.yaml', '-p', 'params.yaml', '--run-id', 'big']);
const gen = median([0, 1, 2].map(() => run(['timeline', 'big', '-o', 'big.html'])));
// CPU time of the same command (user + system), less sensitive than wall time to a shared machine
const cpu = median(
  [0, 1, 2].map(() => {
    const r = spawnSync('/usr/bin/time', ['-f', 'CPU %U %S', process.execPath, bin, 'timeline', 'big', '-o', 'big.html'], { cwd: ws.dir, encoding: 'utf8' });
    const m = /CPU ([\d.]+) ([\d.]+)/.exec(r.stderr);
    return m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN;
  }),
);
const size = statSync(path.join(ws.dir, 'big.html')).size;
console.log(`timeline of a ${ITEMS}-item map (${ITEMS + 1} steps): ${fmt(gen, 0)} ms wall, ${fmt(cpu, 0)} ms CPU to write (medians of 3, CLI start included), ${fmt(size / 1024 / 1024, 2)} MB; load average ${(await import('node:os')).loadavg()[0].toFixed(1)} on ${(await import('node:os')).cpus().length} cores`);

const { chromium } = await import('playwright-core');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
const ready = [];
for (let i = 0; i < 3; i++) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`file://${path.join(ws.dir, 'big.html')}`);
  await page.waitForSelector('body[data-ready="1"]');
  ready.push(Number(await page.getAttribute('body', 'data-ready-ms')));
  // expanding the map: 10,000 rows into the virtualised list
  const t0 = Date.now();
  await page.click('#expand-all');
  await page.waitForSelector('#gantt-spacer .row .label:text-is("0")');
  ready.push(-(Date.now() - t0));
  await page.close();
}
await browser.close();
const loads = ready.filter((x) => x >= 0);
const expands = ready.filter((x) => x < 0).map((x) => -x);
console.log(`page interactive in Chromium: ${fmt(median(loads), 0)} ms after navigation start (median of 3); expand all (${ITEMS} rows): ${fmt(median(expands), 0)} ms`);
}

// --- OpenTelemetry off and on (runs spawned asynchronously: the receiver answers in this process)
if (process.env.VIEWS_BENCH_ONLY_REPORT === '1') {
  ws.cleanup();
  process.exit(0);
}
const runAsync = (args, env = {}, cli = bin) =>
  new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [cli, ...args], { cwd: ws.dir, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`runnable ${args.join(' ')}: exit ${code}`))));
  });
const chainTimes = async (env, cli) => {
  const t = [];
  for (let i = 0; i < 5; i++) t.push(await runAsync(['execute', 'chain.yaml', '--run-id', `c-${Date.now()}-${i}`], env, cli));
  return median(t);
};
let spans = 0;
const server = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8').on('data', (d) => (body += d));
  req.on('end', () => {
    for (const rs of JSON.parse(body).resourceSpans ?? []) for (const ss of rs.scopeSpans) spans += ss.spans.length;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const endpoint = `http://127.0.0.1:${server.address().port}`;
// unset and the build without telemetry alternate, so that the machine's load falls on both alike
const offs = [];
const befores = [];
for (let i = 0; i < 5; i++) {
  offs.push(await runAsync(['execute', 'chain.yaml', '--run-id', `off-${Date.now()}-${i}`]));
  if (process.env.RUNNABLE_TS_CLI_BEFORE) befores.push(await runAsync(['execute', 'chain.yaml', '--run-id', `before-${Date.now()}-${i}`], {}, process.env.RUNNABLE_TS_CLI_BEFORE));
}
const off = median(offs);
const before = befores.length ? median(befores) : undefined;
const on = await chainTimes({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });
server.close();
console.log(
  `300-step chain, local executor (medians of 5, CLI start included): telemetry unset ${fmt(off, 0)} ms` +
    (before !== undefined ? `, build without telemetry ${fmt(before, 0)} ms (${off >= before ? '+' : ''}${fmt(((off - before) / before) * 100, 1)}%)` : '') +
    `, telemetry on ${fmt(on, 0)} ms (${fmt(spans / 5, 0)} spans per run received)`,
);
ws.cleanup();
