// Per-step overhead of running each step in its own process (`emulate`: execute-single-node per
// task, `fan` per composite, as a remote engine drives them) against `local` (every step in
// process), on an N-step chain of no-op TypeScript functions and an M-item map of a trivial one.
// Usage: node bench/remote-overhead.mjs [chain=50] [items=200]   (after `npm run build`)
import { fmt, overheadFiles, printTable, timedRun, workspace } from './_workspace.mjs';

const chainSteps = Number(process.argv[2] ?? 50);
const mapItems = Number(process.argv[3] ?? 200);

const FILES = overheadFiles(chainSteps, mapItems);

const CONFIGS = {
  local: 'run-log-store: {type: file-system}\n',
  'emulate, file-system': 'pipeline-executor: {type: emulate}\nrun-log-store: {type: file-system}\n',
  'emulate, chunked-fs': 'pipeline-executor: {type: emulate}\nrun-log-store: {type: chunked-fs}\n',
  'emulate, chunked-fs, max_parallel 4': 'pipeline-executor: {type: emulate, config: {max_parallel: 4}}\nrun-log-store: {type: chunked-fs}\n',
};

async function timed(ws, pipeline, config, params) {
  return (await timedRun(ws, config, CONFIGS[config], pipeline, params)).ms;
}

const ws = workspace(FILES);
const rows = [];
try {
  await timed(ws, 'chain.yaml', 'local'); // warm the TS loader of this process, as bench/chain.mjs does
  for (const [label, pipeline, params, steps, configs] of [
    [`chain, ${chainSteps} steps`, 'chain.yaml', undefined, chainSteps, ['local', 'emulate, file-system', 'emulate, chunked-fs']],
    [`map, ${mapItems} items`, 'map.yaml', 'params.yaml', mapItems, Object.keys(CONFIGS)],
  ]) {
    let local;
    for (const config of configs) {
      const ms = await timed(ws, pipeline, config, params);
      local ??= ms;
      rows.push([label, config, fmt(ms / 1000, 1), fmt(ms / steps, 1), config === 'local' ? '' : fmt((ms - local) / steps, 1)]);
      process.stderr.write(`${label} / ${config}: ${fmt(ms / 1000, 1)} s\n`);
    }
  }
} finally {
  ws.cleanup();
}

const head = ['pipeline', 'executor', 'wall s', 'ms/step', 'overhead ms/step vs local'];
printTable(head, rows);
console.log('\n(one step = one task; the map also runs one fan out and one fan in process; success/fail steps are recorded by the driver)');
