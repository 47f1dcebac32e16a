// What a step process costs, as ratios to a bare Node start (`node -e 0`) measured in the same
// run (the machine's load moves every figure; the ratios move much less):
// - `runnable --version`, `--help`, `validate` of a one-step pipeline: medians of N starts,
//   interleaved with bare starts;
// - emulate per step: a chain of K shell (or TS) steps minus a chain of 1, over K-1, through the
//   built CLI, exactly as a user runs it (one execute-single-node process per step, started
//   ahead of its step);
// - a cold step process: `execute-single-node` of each step of an opened run, timed alone (what
//   a pod, a container or a Slurm job runs);
// - the bundles' sizes, and what `--version` loads (the static import closure of runnable.mjs).
// Usage: node bench/step-cost.mjs [starts=15] [steps=11]   (after `npm run build`)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, printTable, workspace } from './_workspace.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'runnable.js');
const starts = Number(process.argv[2] ?? 15);
const steps = Number(process.argv[3] ?? 11);

function chain(n, command, type) {
  const y = ['dag:', '  start_at: s0', '  steps:'];
  for (let i = 0; i < n; i++) y.push(`    s${i}:`, '      type: task', ...(type ? [`      command_type: ${type}`] : []), `      command: ${command}`, `      next: ${i + 1 < n ? `s${i + 1}` : 'success'}`);
  return y.join('\n') + '\n';
}
const ws = workspace({
  'p.yaml': 'dag:\n  start_at: a\n  steps:\n    a:\n      type: stub\n      next: success\n',
  'sh-1.yaml': chain(1, 'echo', 'shell'),
  [`sh-${steps}.yaml`]: chain(steps, 'echo', 'shell'),
  'ts-1.yaml': chain(1, 'fns.ts:noop'),
  [`ts-${steps}.yaml`]: chain(steps, 'fns.ts:noop'),
  'fns.ts': 'export function noop(): void {}\n',
  'package.json': '{"type": "module", "private": true}\n',
  'emulate.yaml': 'pipeline-executor: {type: emulate}\nrun-log-store: {type: chunked-fs}\n',
});

// (before `--version` existed it exited 2 after loading the whole command line: still timed)
function wall(args, okCodes = args.includes('--version') ? [0, 2] : [0], env = process.env) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: ws.dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t0;
  if (!okCodes.includes(r.status)) throw new Error(`${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return ms;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// interleaved, so a burst of load hits the bare start and the command alike
const cases = { 'node -e 0': ['-e', '0'], 'runnable --version': [bin, '--version'], 'runnable --help': [bin, '--help'], 'runnable validate': [bin, 'validate', 'p.yaml'] };
const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let i = 0; i < starts; i++) for (const [k, args] of Object.entries(cases)) times[k].push(wall(args));
const bare = median(times['node -e 0']);

let run = 0;
const execute = (file) => wall([bin, 'execute', file, '-c', 'emulate.yaml', '--run-id', `bench-${process.pid}-${run++}`]);
// bare starts between the runs: the emulate ratios divide by the bare start of their own moments
const bareDuring = [];
const perStep = (kind) => {
  const xs = [];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) bareDuring.push(wall(['-e', '0']));
    xs.push((execute(`${kind}-${steps}.yaml`) - execute(`${kind}-1.yaml`)) / (steps - 1));
  }
  return median(xs);
};
execute('ts-1.yaml'); // warm the disk cache and any compile cache
const shell = perStep('sh');
const ts = perStep('ts');

// a step process started cold, as a pod, a container or a Slurm job starts it: a run opened with
// `open-run`, then each step's `execute-single-node` timed on its own (emulate starts its step
// processes ahead, so its per-step figure above no longer shows this)
// (`freshTmp`: each step with an empty temporary directory, as in a new container: a TS step's
// module is bundled each time instead of coming from the cache)
const cold = (kind, freshTmp = false) => {
  const id = `bench-cold-${process.pid}-${run++}`;
  wall([bin, 'open-run', id, `${kind}-${steps}.yaml`, '-c', 'emulate.yaml']);
  const xs = [];
  for (let i = 0; i < steps; i++) {
    if (i % 3 === 0) bareDuring.push(wall(['-e', '0']));
    const env = freshTmp ? { ...process.env, TMPDIR: mkdtempSync(path.join(ws.dir, 'tmp-')) } : process.env;
    xs.push(wall([bin, 'execute-single-node', id, `${kind}-${steps}.yaml`, `s${i}`, '-c', 'emulate.yaml', '--quiet'], [0], env));
  }
  return median(xs);
};
const coldShell = cold('sh');
const coldTs = cold('ts');
const coldTsFresh = cold('ts', true);
const bareEmulate = median(bareDuring);

const rows = Object.keys(cases).map((k) => [k, fmt(median(times[k]), 0), fmt(median(times[k]) / bare, 2)]);
rows.push(['emulate: a shell step', fmt(shell, 0), fmt(shell / bareEmulate, 2)], ['emulate: a TS step', fmt(ts, 0), fmt(ts / bareEmulate, 2)]);
rows.push(['a cold step process: shell', fmt(coldShell, 0), fmt(coldShell / bareEmulate, 2)], ['a cold step process: TS', fmt(coldTs, 0), fmt(coldTs / bareEmulate, 2)]);
rows.push(['… TS, empty temporary dir', fmt(coldTsFresh, 0), fmt(coldTsFresh / bareEmulate, 2)]);
printTable(['what', 'ms (median)', 'x node -e 0'], rows);
console.log(`(node -e 0: ${fmt(bare, 0)} ms among the CLI starts, ${fmt(bareEmulate, 0)} ms among the emulate runs; each ratio uses its own)`);

// sizes: every bundle file, and what each program parses at start. Before code splitting a
// program was one file; after, dist/bundle/chunks/*.cjs, whose top-level require() of another
// chunk loads it at start and whose `() => require(...)` loads it lazily.
const dir = path.join(root, 'dist', 'bundle');
const chunks = path.join(dir, 'chunks');
const split = existsSync(chunks);
const files = split ? readdirSync(chunks).filter((f) => f.endsWith('.cjs')) : readdirSync(dir).filter((f) => f.endsWith('.mjs'));
const size = (f) => statSync(path.join(split ? chunks : dir, f)).size;
function closure(entry, seen = new Set()) {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  const text = readFileSync(path.join(chunks, entry), 'utf8');
  // (the chunks are minified: `()=>__runnable_lazy(require(...))` without spaces)
  for (const m of text.matchAll(/(\(\) ?=> ?(?:__runnable_lazy\()?)?require\("\.\/(chunk-[^"]+\.cjs)"\)/g)) if (!m[1]) closure(m[2], seen);
  return seen;
}
const kb = (n) => `${fmt(n / 1024, 0)} KB`;
const total = files.reduce((s, f) => s + size(f), 0);
const atStart = (name) => (split ? [...closure(`${name}.cjs`)].reduce((s, f) => s + size(f), 0) : size(`${name}.mjs`));
console.log(`\nbundles: ${files.length} files, ${kb(total)} in all; parsed at start: ${['runnable', 'slurm-job', 'container-job'].map((e) => `${e} ${kb(atStart(e))}`).join(', ')}`);
ws.cleanup();
