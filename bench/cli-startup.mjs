// CLI start-up: wall time of `runnable --help` and of validating a small pipeline.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { workspace, fmt } from './_workspace.mjs';

const bin = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'runnable.js');
const ws = workspace({ 'p.yaml': 'dag:\n  start_at: a\n  steps:\n    a:\n      type: stub\n      next: success\n' });
function time(args, n = 10) {
  const t = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, [bin, ...args], { cwd: ws.dir, stdio: 'ignore' });
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(n / 2)];
}
console.log(`cli: --help ${fmt(time(['--help']), 0)} ms, validate ${fmt(time(['validate', 'p.yaml']), 0)} ms, execute (1 stub) ${fmt(time(['execute', 'p.yaml', '--run-id', `r${Date.now()}`], 1), 0)} ms (medians)`);
ws.cleanup();
