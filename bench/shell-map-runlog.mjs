#!/usr/bin/env node
/**
 * Run-log size of an N-item map of shell steps, and what reading it back costs. Not a test: it
 * prints figures (issue 13 item 4: a shell attempt used to record every parameter it received,
 * so each branch copied the whole `iterate_on` list and the run log grew as N²).
 *
 * Runs `runnable execute` (the built CLI) on a map whose steps are `echo $item`, under
 * /usr/bin/time to get the runner's peak RSS; then `runnable runs show RUN --json` the same way.
 * Targets at 10,000 items: run log < 20 MB, `runs show --json` works, peak RSS < 400 MB.
 *
 *   npm run build && node bench/shell-map-runlog.mjs [items=10000]
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, workspace } from './_workspace.mjs';

const items = Number(process.argv[2] ?? 10_000);
const bin = resolve(fileURLToPath(import.meta.url), '../../bin/runnable.js');
const ws = workspace({
  'pipeline.yaml': `dag:
  start_at: fan
  steps:
    fan:
      type: map
      iterate_on: items
      iterate_as: item
      next: success
      branch:
        start_at: echo
        steps:
          echo: {type: task, command_type: shell, command: 'echo "$item"', next: success}
`,
  'params.yaml': `items: [${Array.from({ length: items }, (_, i) => i).join(', ')}]\n`,
});

/** runs the CLI under /usr/bin/time; returns exit status, wall seconds, peak RSS in MB, stdout bytes */
function timed(args) {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, bin, ...args], { cwd: ws.dir, maxBuffer: 4 << 30 });
  const seconds = (performance.now() - t0) / 1000;
  const lines = r.stderr.toString().trim().split('\n');
  return { status: r.status, seconds, rssMb: Number(lines.at(-1)) / 1024, stdoutBytes: r.stdout.length, err: lines.slice(-4, -1).join(' | ') };
}

function folderBytes(dir) {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    total += s.isDirectory() ? folderBytes(p) : s.size;
  }
  return total;
}

try {
  const run = timed(['execute', 'pipeline.yaml', '-p', 'params.yaml', '--run-id', 'bench']);
  const logMb = folderBytes(join(ws.dir, '.run_log_store')) / 1e6;
  console.log(`execute: ${items}-item shell map exit ${run.status} in ${fmt(run.seconds, 1)} s, peak RSS ${fmt(run.rssMb, 0)} MB (target < 400 MB)${run.status ? ` (${run.err})` : ''}`);
  console.log(`run log: ${fmt(logMb, 1)} MB (target < 20 MB)`);
  const show = timed(['runs', 'show', 'bench', '--json']);
  console.log(`runs show --json: exit ${show.status} in ${fmt(show.seconds, 1)} s, ${fmt(show.stdoutBytes / 1e6, 1)} MB printed, peak RSS ${fmt(show.rssMb, 0)} MB${show.status ? ` (${show.err})` : ''}`);
} finally {
  ws.cleanup();
}
