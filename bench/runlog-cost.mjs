#!/usr/bin/env node
/**
 * Cost of writing a run log as a run grows. Not a test: it prints figures.
 *
 * For each registered run-log store, writes a map of 10,000 items as an executor would, each
 * item ("step") being four puts: its branch created (PROCESSING, the map item as parameter), its
 * task step at start (PROCESSING) and at end (SUCCESS, attempt with parameters), and the branch
 * updated with the returned parameters. Then compares the mean cost of a step near the start
 * (steps 0-99) with one near the end (steps 9,900-9,999): a ratio near 1 means a put is O(1)
 * whatever the size of the run. Target: <= 1.5 for file-system and buffered. Each store runs
 * in its own process, so that no store pays for garbage another left on the heap.
 *
 *   npm run build && node bench/runlog-cost.mjs [steps]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble, runLogStores } from '../dist/runlog/index.js';

const STEPS = Number(process.argv[2] ?? 10_000);
const WINDOW = 100;
const WARMUP = 1000;
const RUN = 'bench-run';

const attempt = (i, status, end) => ({
  attempt_number: 1,
  start_time: new Date(1_700_000_000_000 + i * 1000).toISOString(),
  end_time: end ? new Date(1_700_000_000_500 + i * 1000).toISOString() : '',
  status,
  message: '',
  input_parameters: { item: { kind: 'json', value: i }, lr: { kind: 'json', value: 0.01 } },
  output_parameters: end ? { score: { kind: 'json', value: i / STEPS }, model: { kind: 'object', value: `model-${i}.pickle` } } : {},
  user_defined_metrics: end ? { accuracy: { kind: 'metric', value: 0.9 } } : {},
});

const taskStep = (i, status) => ({
  name: 'train',
  internal_name: `map_step.${i}.train`,
  status,
  step_type: 'task',
  message: '',
  mock: false,
  code_identities: [
    {
      code_identifier: '4f1c2e0d9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d',
      code_identifier_type: 'git',
      code_identifier_dependable: true,
      code_identifier_url: 'https://github.com/example/pipeline.git',
      code_identifier_message: '',
    },
  ],
  attempts: [attempt(i, status, status !== 'PROCESSING')],
  data_catalog: [],
});

const mapStep = (status) => ({
  name: 'map_step', internal_name: 'map_step', status, step_type: 'map', message: '', mock: false,
  code_identities: [], attempts: [], data_catalog: [],
});

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function folderBytes(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? folderBytes(path) : statSync(path).size;
  }
  return total;
}

/** bytes on disk of the measured run (its file(s) or folder in the default log folder) */
function runBytes(cwd) {
  const folder = join(cwd, '.run_log_store');
  if (!existsSync(folder)) return 0;
  let total = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (!entry.name.startsWith(RUN)) continue;
    total += entry.isDirectory() ? folderBytes(join(folder, entry.name)) : statSync(join(folder, entry.name)).size;
  }
  return total;
}

async function writeRun(store, runId, steps, cost) {
  await store.create({ run_id: runId, dag_hash: 'bench', tag: '', status: 'PROCESSING', run_config: {} });
  await store.put(runId, { kind: 'step', key: 'map_step', parent: '', data: mapStep('PROCESSING') });
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    const branch = `map_step.${i}`;
    await store.put(runId, { kind: 'branch', key: branch, parent: 'map_step', data: { internal_name: branch, status: 'PROCESSING', parameters: { item: { kind: 'json', value: i } } } });
    await store.put(runId, { kind: 'step', key: `${branch}.train`, parent: branch, data: taskStep(i, 'PROCESSING') });
    await store.put(runId, { kind: 'step', key: `${branch}.train`, parent: branch, data: taskStep(i, 'SUCCESS') });
    await store.put(runId, {
      kind: 'branch', key: branch, parent: 'map_step',
      data: { internal_name: branch, status: 'SUCCESS', parameters: { item: { kind: 'json', value: i }, score: { kind: 'json', value: i / steps } } },
    });
    if (cost) cost[i] = performance.now() - t0;
  }
  await store.put(runId, { kind: 'step', key: 'map_step', parent: '', data: mapStep('SUCCESS') });
}

async function bench(type) {
  const cwd = mkdtempSync(join(tmpdir(), `runlog-bench-${type}-`));
  try {
    const store = runLogStores.create(type, {}, { cwd });
    // warm the JIT on another run first, so that steps 0-99 measure the store, not the compiler
    await writeRun(store, 'warm-up', WARMUP);
    await store.flush('warm-up');
    const cost = new Float64Array(STEPS);
    const started = performance.now();
    await writeRun(store, RUN, STEPS, cost);
    const total = performance.now() - started;
    const f0 = performance.now();
    await store.flush(RUN);
    const flush = performance.now() - f0;

    // read back, from a new instance where the store persists
    const reader = type === 'buffered' ? store : runLogStores.create(type, {}, { cwd });
    const r0 = performance.now();
    const log = assemble(await reader.list(RUN));
    const readBack = performance.now() - r0;
    const items = Object.keys(log.steps.map_step.branches).length;
    if (items !== STEPS) throw new Error(`${type}: read back ${items} items, wrote ${STEPS}`);

    const first = Array.from(cost.subarray(0, WINDOW));
    const last = Array.from(cost.subarray(STEPS - WINDOW));
    const early = mean(first);
    const late = mean(last);
    return { type, early, late, ratio: late / early, medianRatio: median(last) / median(first), earlyMedian: median(first), lateMedian: median(last), worst: Math.max(...cost), total, flush, readBack, bytes: runBytes(cwd) };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

if (process.env.RUNLOG_BENCH_TYPE) {
  console.log(JSON.stringify(await bench(process.env.RUNLOG_BENCH_TYPE)));
  process.exit(0);
}

// the object-storage stores need a server: bench/s3.mjs measures them against s3rver
const rows = runLogStores.types().filter((type) => !/s3|minio/.test(type)).map((type) => {
  const out = execFileSync(process.execPath, [process.argv[1], String(STEPS)], {
    env: { ...process.env, RUNLOG_BENCH_TYPE: type },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out);
});

const us = (ms) => `${(ms * 1000).toFixed(1)} µs`;
const table = [
  ['store', `step 0-${WINDOW - 1}`, `step ${STEPS - WINDOW}-${STEPS - 1}`, 'ratio', 'medians', 'median ratio', 'slowest step', `total ${STEPS} steps`, 'final flush', 'list+assemble', 'on disk'],
  ...rows.map((r) => [
    r.type,
    us(r.early),
    us(r.late),
    r.ratio.toFixed(2),
    `${us(r.earlyMedian)} / ${us(r.lateMedian)}`,
    r.medianRatio.toFixed(2),
    `${r.worst.toFixed(1)} ms`,
    `${(r.total / 1000).toFixed(2)} s`,
    `${r.flush.toFixed(1)} ms`,
    `${r.readBack.toFixed(0)} ms`,
    r.bytes ? `${(r.bytes / 1e6).toFixed(1)} MB` : '-',
  ]),
];
const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
console.log(`run-log cost per step (4 puts), map of ${STEPS} items, after a ${WARMUP}-item warm-up run; mean and median of ${WINDOW} steps at each end\n`);
for (const [i, row] of table.entries()) {
  console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
}
const bad = rows.filter((r) => (r.type === 'file-system' || r.type === 'buffered') && r.ratio > 1.5);
if (bad.length) console.log(`\nabove the 1.5 target: ${bad.map((r) => r.type).join(', ')}`);
