// `npm run bench`: every benchmark, each in its own process so peak RSS is its own.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const benches = ['chain.mjs', 'map.mjs', 'runlog-cost.mjs', 'retry.mjs', 'cache.mjs', 'remote-overhead.mjs', 'notebook.mjs', 'cli-startup.mjs', 'views.mjs'];
let failed = 0;
for (const b of benches) {
  const file = path.join(here, b);
  if (!existsSync(file)) continue;
  console.log(`\n# ${b}`);
  const r = spawnSync(process.execPath, [file], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
