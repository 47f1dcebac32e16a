// (a) per-step overhead of an N-step chain of no-op TypeScript functions, default stores.
// Usage: node bench/chain.mjs [steps=1000]
import { executePipeline } from '../dist/index.js';
import { workspace, fmt } from './_workspace.mjs';

const steps = Number(process.argv[2] ?? 1000);
const yaml = ['dag:', '  start_at: s0', '  steps:'];
for (let i = 0; i < steps; i++) {
  yaml.push(`    s${i}:`, '      type: task', '      command: noop.ts:noop', `      next: ${i + 1 < steps ? `s${i + 1}` : 'success'}`);
}
const ws = workspace({ 'pipeline.yaml': yaml.join('\n'), 'noop.ts': 'export function noop(): void {}\n' });
try {
  // Warm the TS loader so the figure is the per-step engine cost, not esbuild's start-up.
  const warm = workspace({ 'w.yaml': 'dag:\n  start_at: a\n  steps:\n    a:\n      type: task\n      command: noop.ts:noop\n      next: success\n', 'noop.ts': 'export function noop(): void {}\n' });
  await executePipeline({ pipeline: 'w.yaml', cwd: warm.dir });
  warm.cleanup();

  const t0 = performance.now();
  const result = await executePipeline({ pipeline: 'pipeline.yaml', cwd: ws.dir });
  const ms = performance.now() - t0;
  if (result.status !== 'SUCCESS') throw new Error(`run failed: ${result.status}`);
  // Per-step overhead inside the run (first step start to last step end), and end to end
  // (loading and validating the YAML, creating and flushing the run log included).
  const first = result.runLog.steps.s0.attempts[0].start_time;
  const last = result.runLog.steps[`s${steps - 1}`].attempts[0].end_time;
  const inRun = Date.parse(last) - Date.parse(first);
  console.log(
    `chain: ${steps} steps: ${fmt(inRun / steps)} ms/step between steps, ${fmt(ms / steps)} ms/step end to end (${fmt(ms, 0)} ms) (target <= 1 ms/step)`,
  );
} finally {
  ws.cleanup();
}
