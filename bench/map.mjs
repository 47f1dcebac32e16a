// (b) an N-item map of trivial TypeScript functions, default stores: wall time and peak RSS.
// Usage: node bench/map.mjs [items=10000]
import { executePipeline } from '../dist/index.js';
import { workspace, fmt } from './_workspace.mjs';

const items = Number(process.argv[2] ?? 10000);
const ws = workspace({
  'pipeline.yaml': `dag:
  start_at: make
  steps:
    make:
      type: task
      command: fns.ts:make
      returns: [items]
      next: fan
    fan:
      type: map
      iterate_on: items
      iterate_as: item
      next: success
      branch:
        start_at: double
        steps:
          double:
            type: task
            command: fns.ts:double
            returns: [doubled]
            next: success
`,
  'fns.ts': `export function make(n: number) { return Array.from({ length: n }, (_, i) => i); }
export function double(item: number) { return item * 2; }
`,
  'params.yaml': `n: ${items}\n`,
});
try {
  const t0 = performance.now();
  const result = await executePipeline({ pipeline: 'pipeline.yaml', parametersFile: 'params.yaml', cwd: ws.dir });
  const ms = performance.now() - t0;
  if (result.status !== 'SUCCESS') throw new Error(`run failed: ${result.status}`);
  const doubled = result.runLog.parameters.doubled?.value;
  if (!Array.isArray(doubled) || doubled.length !== items) throw new Error('reduced value is wrong');
  const rssMb = process.resourceUsage().maxRSS / 1024;
  console.log(`map: ${items} items in ${fmt(ms / 1000, 2)} s (target < 10 s), peak RSS ${fmt(rssMb, 0)} MB (target < 300 MB)`);
} finally {
  ws.cleanup();
}
