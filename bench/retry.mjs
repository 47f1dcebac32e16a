// Retry of a 1,000-step run that failed at its last step: the retry's time should be dominated
// by the one re-run step (which sleeps 1000 ms), not by skipping the 999 that succeeded.
// Usage: node bench/retry.mjs [steps=1000]
import { executePipeline, retryRun } from '../dist/index.js';
import { workspace, fmt } from './_workspace.mjs';

const steps = Number(process.argv[2] ?? 1000);
const yaml = ['dag:', '  start_at: s0', '  steps:'];
for (let i = 0; i < steps; i++) {
  const command = i + 1 < steps ? 'fns.ts:noop' : 'fns.ts:last';
  yaml.push(`    s${i}:`, '      type: task', `      command: ${command}`, `      next: ${i + 1 < steps ? `s${i + 1}` : 'success'}`);
}
const ws = workspace({
  'pipeline.yaml': yaml.join('\n'),
  'fns.ts': `import { existsSync } from 'node:fs';
export function noop(): void {}
export async function last() {
  await new Promise((r) => setTimeout(r, 1000));
  if (!existsSync(new URL('./fixed', import.meta.url))) throw new Error('not yet');
}
`,
});
try {
  const t0 = performance.now();
  const first = await executePipeline({ pipeline: 'pipeline.yaml', cwd: ws.dir, runId: 'bench-retry' });
  const firstMs = performance.now() - t0;
  if (first.status !== 'FAIL') throw new Error('the first run should fail');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(`${ws.dir}/fixed`, '');
  const t1 = performance.now();
  const again = await retryRun({ runId: 'bench-retry', cwd: ws.dir });
  const retryMs = performance.now() - t1;
  if (again.status !== 'SUCCESS') throw new Error('the retry should succeed');
  console.log(
    `retry: first run ${fmt(firstMs, 0)} ms; retry ${fmt(retryMs, 0)} ms, of which the re-run step sleeps 1000 ms: ` +
      `${fmt((retryMs - 1000) / steps, 3)} ms per skipped step`,
  );
} finally {
  ws.cleanup();
}
