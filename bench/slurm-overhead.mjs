// Per-step overhead of the `slurm` executor (every task a batch job on the local single-node
// cluster, see scripts/slurm-up.sh) against `local` and `emulate`, on an N-step chain of no-op
// TypeScript functions and an M-item map of a trivial one.
//   slurm                 chunked-fs: the chain submitted ahead (afterok), the map as a job array
//   slurm, no arrays      chunked-fs: the map as one job per item
//   slurm, file-system    single-writer store: each step submitted after the one before ended
// Usage: node bench/slurm-overhead.mjs [chain=50] [items=200] [only=chain|map]   (after `npm run build`;
// starts the cluster with scripts/slurm-up.sh if it is not up)
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fmt, overheadFiles, printTable, timedRun, workspace } from './_workspace.mjs';

const chainSteps = Number(process.argv[2] ?? 50);
const mapItems = Number(process.argv[3] ?? 200);
const only = process.argv[4];

execFileSync('bash', [fileURLToPath(new URL('../scripts/slurm-up.sh', import.meta.url))], { stdio: ['ignore', 'ignore', 'inherit'] });

const FILES = overheadFiles(chainSteps, mapItems);

const CONFIGS = {
  local: 'run-log-store: {type: chunked-fs}\n',
  'emulate, chunked-fs, max_parallel 16': 'pipeline-executor: {type: emulate, config: {max_parallel: 16}}\nrun-log-store: {type: chunked-fs}\n',
  slurm: 'pipeline-executor: {type: slurm, config: {poll_interval: 0.25}}\nrun-log-store: {type: chunked-fs}\n',
  'slurm, no arrays': 'pipeline-executor: {type: slurm, config: {poll_interval: 0.25, job_arrays: false}}\nrun-log-store: {type: chunked-fs}\n',
  'slurm, file-system': 'pipeline-executor: {type: slurm, config: {poll_interval: 0.25}}\nrun-log-store: {type: file-system}\n',
};

/**
 * What Slurm's records say about a run's jobs (squeue keeps finished jobs for MinJobAge; times
 * have 1 s resolution): mean time a job ran, and the mean gap between one job's end and the
 * start of the next one to start (for a chain: the scheduling latency of a dependency).
 */
function jobTimes(runId) {
  const out = execFileSync('squeue', ['--noheader', '--array', '--states=all', '--format=%j|%S|%e'], { encoding: 'utf8' });
  const jobs = [];
  for (const line of out.split('\n')) {
    const [name, start, end] = line.split('|');
    if (name?.startsWith(`${runId}:`)) jobs.push({ start: Date.parse(start), end: Date.parse(end) });
  }
  if (!jobs.length) return '';
  jobs.sort((a, b) => a.start - b.start);
  const run = jobs.reduce((t, j) => t + j.end - j.start, 0) / jobs.length / 1000;
  let gaps = 0;
  for (let i = 1; i < jobs.length; i++) gaps += Math.max(0, jobs[i].start - jobs[i - 1].end);
  const gap = jobs.length > 1 ? gaps / (jobs.length - 1) / 1000 : 0;
  return `${jobs.length} jobs, mean run ${fmt(run, 1)} s, mean gap end->next start ${fmt(gap, 2)} s`;
}

async function timed(ws, pipeline, config, params) {
  const { ms, result } = await timedRun(ws, config, CONFIGS[config], pipeline, params);
  return { ms, jobs: config.startsWith('slurm') ? jobTimes(result.runId) : '' };
}

const ws = workspace(FILES);
const rows = [];
try {
  await timed(ws, 'chain.yaml', 'local'); // warm the TS loader of this process, as bench/chain.mjs does
  const cases = [
    ['chain', `chain, ${chainSteps} steps`, 'chain.yaml', undefined, chainSteps, ['local', 'emulate, chunked-fs, max_parallel 16', 'slurm', 'slurm, file-system']],
    ['map', `map, ${mapItems} items`, 'map.yaml', 'params.yaml', mapItems, ['local', 'emulate, chunked-fs, max_parallel 16', 'slurm', 'slurm, no arrays']],
  ];
  for (const [key, label, pipeline, params, steps, configs] of cases) {
    if (only && only !== key) continue;
    let local;
    for (const config of configs) {
      const { ms, jobs } = await timed(ws, pipeline, config, params);
      local ??= ms;
      rows.push([label, config, fmt(ms / 1000, 1), fmt(ms / steps, 0), config === 'local' ? '' : fmt((ms - local) / steps, 0), jobs]);
      process.stderr.write(`${label} / ${config}: ${fmt(ms / 1000, 1)} s ${jobs}\n`);
    }
  }
} finally {
  ws.cleanup();
}

const head = ['pipeline', 'executor', 'wall s', 'ms/step', 'overhead ms/step vs local', 'slurm jobs'];
printTable(head, rows);
console.log(`\n(one step = one task; the map also runs a fan out and a fan in job; cluster: ${execFileSync('sinfo', ['-h', '-o', '%N %c cpus, oversubscribe %h'], { encoding: 'utf8' }).trim()})`);
