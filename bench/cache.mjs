// Step-cache overhead: an N-step chain of no-op TypeScript functions (each binds one parameter
// and returns one), default stores, run with caching off, on (first run: all misses, saved),
// and on again (all hits). Reports ms/step between the first step's start and the last's end.
// Usage: node bench/cache.mjs [steps=1000]
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { executePipeline } from '../dist/index.js';
import { workspace, fmt } from './_workspace.mjs';

const steps = Number(process.argv[2] ?? 1000);
const chain = (cache) => {
  const yaml = ['dag:', '  start_at: s0', '  steps:'];
  for (let i = 0; i < steps; i++) {
    yaml.push(`    s${i}:`, '      type: task', '      command: noop.ts:noop', '      returns: [x]', ...(cache ? ['      cache: true'] : []),
      `      next: ${i + 1 < steps ? `s${i + 1}` : 'success'}`);
  }
  return yaml.join('\n');
};
const ws = workspace({
  'off.yaml': chain(false),
  'on.yaml': chain(true),
  'noop.ts': 'export function noop(x: number = 0): number { return x + 1; }\n',
  'package.json': '{"type":"module"}',
});
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RUNNABLE_')));
try {
  const perStep = (result) => {
    if (result.status !== 'SUCCESS') throw new Error(`run failed: ${result.status}`);
    const first = result.runLog.steps.s0.attempts[0].start_time;
    const last = result.runLog.steps[`s${steps - 1}`].attempts[0].end_time;
    return (Date.parse(last) - Date.parse(first)) / steps;
  };
  // Wall time between steps, and this process's CPU time (user + system) per step for the whole
  // run: the CPU figure is what the cache costs, whatever else the machine is doing.
  const run = async (pipeline) => {
    const cpu0 = process.cpuUsage();
    const wall = perStep(await executePipeline({ pipeline, cwd: ws.dir, env }));
    const cpu = process.cpuUsage(cpu0);
    return { wall, cpu: (cpu.user + cpu.system) / 1000 / steps };
  };
  const best = (a, b) => ({ wall: Math.min(a.wall, b.wall), cpu: Math.min(a.cpu, b.cpu) });
  await run('off.yaml'); // warm the TS loader
  // The machine may be shared: each variant several times, interleaved, the best kept. A miss
  // needs an empty index: each round uses a fresh log folder through its own config.
  const rounds = Number(process.env.ROUNDS ?? 3);
  const none = { wall: Infinity, cpu: Infinity };
  let off = none, miss = none, hit = none;
  for (let r = 0; r < rounds; r++) {
    writeFileSync(path.join(ws.dir, 'runnable-config.yaml'), `run-log-store:\n  type: file-system\n  config:\n    log_folder: logs-${r}\n`);
    off = best(off, await run('off.yaml'));
    miss = best(miss, await run('on.yaml'));
    hit = best(hit, await run('on.yaml'));
  }
  const last = (await executePipeline({ pipeline: 'on.yaml', cwd: ws.dir, env })).runLog.steps[`s${steps - 1}`].attempts[0];
  if (last.cache?.status !== 'hit') throw new Error('expected hits');
  const show = (name, v) => `${name} ${fmt(v.wall)} ms/step wall, ${fmt(v.cpu)} ms/step CPU` + (v === off ? '' : ` (${fmt(v.wall - off.wall)} / ${fmt(v.cpu - off.cpu)} vs off)`);
  console.log(`cache: ${steps} steps (best of ${rounds}):\n  ${show('off', off)}\n  ${show('on, all misses + saves', miss)}\n  ${show('on, all hits', hit)}`);
} finally {
  ws.cleanup();
}
