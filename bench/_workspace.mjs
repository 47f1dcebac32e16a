// Shared by the benchmarks: a temp working directory holding generated pipelines.
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export function workspace(files) {
  const dir = mkdtempSync(path.join(tmpdir(), 'runnable-bench-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const fmt = (n, digits = 3) => Number(n).toFixed(digits);

/**
 * The pipelines of the overhead benchmarks (remote-, container-, slurm-overhead): an N-step
 * chain of no-op TypeScript functions and an M-item map of a trivial one, with their parameters.
 */
export function overheadFiles(chainSteps, mapItems) {
  const chain = ['dag:', '  start_at: s0', '  steps:'];
  for (let i = 0; i < chainSteps; i++) {
    chain.push(`    s${i}:`, '      type: task', '      command: fns.ts:noop', `      next: ${i + 1 < chainSteps ? `s${i + 1}` : 'success'}`);
  }
  const map = `dag:
  start_at: fan
  steps:
    fan:
      type: map
      iterate_on: items
      iterate_as: item
      next: success
      branch:
        start_at: double
        steps:
          double: {type: task, command: fns.ts:double, returns: [doubled], next: success}
`;
  return {
    'chain.yaml': chain.join('\n') + '\n',
    'map.yaml': map,
    'params.yaml': `items: [${Array.from({ length: mapItems }, (_, i) => i).join(', ')}]\n`,
    'fns.ts': 'export function noop(): void {}\nexport function double(item: number) { return item * 2; }\n',
    'package.json': '{"type": "module", "private": true}\n',
  };
}

/** Prints rows under a header as an aligned plain-text table. */
export function printTable(head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

/**
 * Runs `pipeline` in the workspace under a config given as YAML text (written next to it as
 * `<name>.yaml`) with the built library; returns the wall time and the result, or throws naming
 * the failed step.
 */
export async function timedRun(ws, name, configText, pipeline, params) {
  const { executePipeline } = await import('../dist/index.js');
  const configFile = path.join(ws.dir, `${name.replace(/[^a-z0-9]+/gi, '-')}.yaml`);
  writeFileSync(configFile, configText);
  const t0 = performance.now();
  const result = await executePipeline({ pipeline, configFile, parametersFile: params, cwd: ws.dir });
  const ms = performance.now() - t0;
  if (result.status !== 'SUCCESS') {
    const failed = Object.values(result.runLog.steps).find((s) => s.status === 'FAIL');
    throw new Error(`${pipeline} under ${name}: ${result.status}${failed ? ` at ${failed.name}: ${failed.message}` : ''}`);
  }
  return { ms, result };
}
