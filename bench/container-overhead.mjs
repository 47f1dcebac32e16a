// Per-step overhead of `local-container` (each task `execute-single-node` in its own
// `podman run --rm` container) against `local` (every step in process), and `emulate` (each task
// in a child process) for reference, on an N-step chain of no-op TypeScript functions and an
// M-item map of a trivial one. Builds the image with scripts/container-image.sh if it is missing.
// Usage: node bench/container-overhead.mjs [chain=50] [items=200]   (after `npm run build`)
//   env RUNNABLE_TS_IMAGE: the image (default localhost/runnable-ts-node:latest)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fmt, overheadFiles, printTable, timedRun, workspace } from './_workspace.mjs';

const chainSteps = Number(process.argv[2] ?? 50);
const mapItems = Number(process.argv[3] ?? 200);
const IMAGE = process.env.RUNNABLE_TS_IMAGE ?? 'localhost/runnable-ts-node:latest';
const ENGINE = process.env.CONTAINER_ENGINE ?? 'podman';

if (spawnSync(ENGINE, ['image', 'exists', IMAGE]).status !== 0) {
  const script = fileURLToPath(new URL('../scripts/container-image.sh', import.meta.url));
  const r = spawnSync('bash', [script, IMAGE], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('scripts/container-image.sh failed');
}

const FILES = overheadFiles(chainSteps, mapItems);

const container = (extra = '') => `pipeline-executor: {type: local-container, config: {docker_image: ${JSON.stringify(IMAGE)}${extra}}}\nrun-log-store: {type: chunked-fs}\n`;
const CONFIGS = {
  local: 'run-log-store: {type: chunked-fs}\n',
  'emulate': 'pipeline-executor: {type: emulate}\nrun-log-store: {type: chunked-fs}\n',
  'local-container': container(),
  'local-container, max_parallel 4': container(', max_parallel: 4'),
};

async function timed(ws, pipeline, config, params) {
  return (await timedRun(ws, config, CONFIGS[config], pipeline, params)).ms;
}

const ws = workspace(FILES);
const rows = [];
try {
  await timed(ws, 'chain.yaml', 'local'); // warm the TS loader of this process, as bench/chain.mjs does
  for (const [label, pipeline, params, steps, configs] of [
    [`chain, ${chainSteps} steps`, 'chain.yaml', undefined, chainSteps, ['local', 'emulate', 'local-container']],
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
console.log(`\n(one step = one task; ${ENGINE} image ${IMAGE}; under local-container the map opens and closes in the driver, under emulate through fan processes)`);
