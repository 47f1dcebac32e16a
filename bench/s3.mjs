#!/usr/bin/env node
/**
 * Object storage on loopback (s3rver started here, in this process). Not a test: it prints figures.
 *
 * 1. Run-log cost per step for `s3` and `chunked-s3`: a 1,000-item map written as an executor
 *    writes it (4 puts a step), mean cost of steps 10-19 against steps 990-999; a ratio near 1
 *    means a step costs the same whatever the size of the run. Target <= 1.5.
 * 2. The `s3` catalog with a 1 GiB file: put (hash, multipart upload) then get (download, hash
 *    checked against the recorded one), in a child process whose peak RSS is reported (s3rver's
 *    memory is not counted). Target < 200 MB.
 * 3. 1,000 small files (1 KiB each) put then got. Target < 10 s.
 *
 *   npm run build && node bench/s3.mjs [--gib N]
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, openSync, rmSync, writeSync, closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const require = createRequire(import.meta.url);

// --- child: the catalog figures, measured in a process of their own -------------------------
if (process.env.S3_BENCH_CHILD) {
  const { catalogs } = await import('../dist/catalog/index.js');
  const config = JSON.parse(process.env.S3_BENCH_CHILD);
  const mode = process.env.S3_BENCH_MODE;
  const work = mkdtempSync(join(tmpdir(), 's3-bench-work-'));
  const catalog = catalogs.create('s3', config, { cwd: work });
  const out = {};
  try {
    if (mode === 'big') {
      const bytes = Number(process.env.S3_BENCH_BYTES);
      const chunk = randomBytes(8 * 1024 * 1024);
      const fd = openSync(join(work, 'big.bin'), 'w');
      for (let done = 0; done < bytes; done += chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - done));
      closeSync(fd);
      const h = createHash('sha256');
      await pipeline(createReadStream(join(work, 'big.bin')), h);
      const expected = h.digest('hex');
      const rssBefore = process.resourceUsage().maxRSS;
      let t = performance.now();
      const [put] = await catalog.put('bench-big', ['big.bin'], work, true);
      out.putMs = performance.now() - t;
      const dest = join(work, 'back');
      t = performance.now();
      const [got] = await catalog.get('bench-big', ['big.bin'], dest);
      out.getMs = performance.now() - t;
      const h2 = createHash('sha256');
      await pipeline(createReadStream(join(dest, 'big.bin')), h2);
      out.ok = put.data_hash === expected && got.data_hash === expected && h2.digest('hex') === expected;
      out.rssBeforeMB = rssBefore / 1024;
    } else {
      const n = Number(process.env.S3_BENCH_FILES);
      mkdirSync(join(work, 'small'));
      for (let i = 0; i < n; i++) {
        const fd = openSync(join(work, 'small', `f${String(i).padStart(4, '0')}.txt`), 'w');
        writeSync(fd, randomBytes(1024));
        closeSync(fd);
      }
      let t = performance.now();
      const put = await catalog.put('bench-small', ['small/*'], work, true);
      out.putMs = performance.now() - t;
      t = performance.now();
      const got = await catalog.get('bench-small', ['small/*'], join(work, 'back'));
      out.getMs = performance.now() - t;
      out.ok = put.length === n && got.length === n && got.every((e, i) => e.data_hash === put[i].data_hash);
    }
    out.peakRssMB = process.resourceUsage().maxRSS / 1024;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(JSON.stringify(out));
  process.exit(0);
}

// --- parent: the server and the run-log figures -----------------------------------------------
const gibArg = process.argv.indexOf('--gib');
const GIB = gibArg > 0 ? Number(process.argv[gibArg + 1]) : 1;
const S3rver = require('s3rver');
const dir = mkdtempSync(join(tmpdir(), 's3-bench-server-'));
const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: 'bench' }] });
const { port } = await server.run();
const connection = (bucket) => ({ bucket, endpoint_url: `http://127.0.0.1:${port}`, region: 'us-east-1', aws_access_key_id: 'S3RVER', aws_secret_access_key: 'S3RVER' });

const { runLogStores } = await import('../dist/runlog/index.js');
const STEPS = 1000;
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const step = (i, status) => ({
  name: 'train', internal_name: `map_step.${i}.train`, status, step_type: 'task', message: '', mock: false, code_identities: [], data_catalog: [],
  attempts: [{ attempt_number: 1, start_time: new Date(i * 1000).toISOString(), end_time: '', status, message: '', input_parameters: { item: { kind: 'json', value: i } }, output_parameters: {}, user_defined_metrics: {} }],
});

async function runLogCost(type) {
  const store = runLogStores.create(type, connection(`bench/${type}`), { cwd: dir });
  const run = `cost-${type}`;
  await store.create({ run_id: run, dag_hash: 'bench', tag: '', status: 'PROCESSING', run_config: {} });
  await store.put(run, { kind: 'step', key: 'map_step', parent: '', data: { ...step(0, 'PROCESSING'), name: 'map_step', internal_name: 'map_step', step_type: 'map', attempts: [] } });
  const cost = [];
  for (let i = 0; i < STEPS; i++) {
    const t0 = performance.now();
    const branch = `map_step.${i}`;
    await store.put(run, { kind: 'branch', key: branch, parent: 'map_step', data: { internal_name: branch, status: 'PROCESSING', parameters: { item: { kind: 'json', value: i } } } });
    await store.put(run, { kind: 'step', key: `${branch}.train`, parent: branch, data: step(i, 'PROCESSING') });
    await store.put(run, { kind: 'step', key: `${branch}.train`, parent: branch, data: step(i, 'SUCCESS') });
    await store.put(run, { kind: 'branch', key: branch, parent: 'map_step', data: { internal_name: branch, status: 'SUCCESS', parameters: { item: { kind: 'json', value: i } } } });
    cost.push(performance.now() - t0);
  }
  const f0 = performance.now();
  await store.flush(run);
  const flush = performance.now() - f0;
  const early = mean(cost.slice(10, 20));
  const late = mean(cost.slice(STEPS - 10));
  return { type, early, late, ratio: late / early, flush };
}

/** the catalog figures from a child process (asynchronously: the server answering it runs in this one) */
async function child(mode, extra) {
  const { stdout } = await promisify(execFile)(process.execPath, [here], {
    env: { ...process.env, S3_BENCH_CHILD: JSON.stringify(connection(`bench/catalog-${mode}`)), S3_BENCH_MODE: mode, ...extra },
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout);
}

try {
  console.log(`run-log cost per step (4 puts), map of ${STEPS} items, s3rver on loopback; mean of steps 10-19 vs ${STEPS - 10}-${STEPS - 1}`);
  for (const type of ['s3', 'chunked-s3']) {
    const r = await runLogCost(type);
    console.log(`  ${type.padEnd(10)}  step 10: ${r.early.toFixed(2)} ms  step ${STEPS - 10}: ${r.late.toFixed(2)} ms  ratio ${r.ratio.toFixed(2)}  final flush ${r.flush.toFixed(0)} ms`);
  }
  const bytes = Math.round(GIB * 1024 ** 3);
  const big = await child('big', { S3_BENCH_BYTES: String(bytes) });
  console.log(`catalog: ${GIB} GiB file put ${(big.putMs / 1000).toFixed(1)} s, get ${(big.getMs / 1000).toFixed(1)} s, hashes ${big.ok ? 'match' : 'DIFFER'}; peak RSS ${big.peakRssMB.toFixed(0)} MB (${big.rssBeforeMB.toFixed(0)} MB before the transfers)`);
  const small = await child('small', { S3_BENCH_FILES: '1000' });
  console.log(`catalog: 1,000 files of 1 KiB put ${(small.putMs / 1000).toFixed(2)} s, got ${(small.getMs / 1000).toFixed(2)} s (total ${((small.putMs + small.getMs) / 1000).toFixed(2)} s), hashes ${small.ok ? 'match' : 'DIFFER'}`);
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
