// Compiling pipelines to Argo Workflows (`runnable execute -c argo.yaml`, in process): a 1,000-step
// chain, and a 50-wide, 3-deep nested composite (a parallel of 50 branches, each a map whose
// branch is a parallel of 50 tasks: 2,500 task templates). Target < 1 s each. The strict check
// against the Argo schema (`runnable validate -c`) is timed apart: it compiles the large schema.
// Usage: node bench/argo-compile.mjs [chain=1000] [width=50]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { executePipeline } from '../dist/index.js';
import { prepareRun } from '../dist/runner/prepare.js';
import { argoProblem } from '../dist/executors/argo/schema.js';
import { workspace, fmt } from './_workspace.mjs';

const chainSteps = Number(process.argv[2] ?? 1000);
const width = Number(process.argv[3] ?? 50);

const chain = ['dag:', '  start_at: s0', '  steps:'];
for (let i = 0; i < chainSteps; i++) chain.push(`    s${i}:`, '      type: task', '      command_type: shell', `      command: echo ${i}`, `      next: ${i + 1 < chainSteps ? `s${i + 1}` : 'success'}`);

const task = (name) => `{type: task, command_type: shell, command: "echo ${name}", next: success}`;
const inner = `{type: parallel, next: success, branches: {${Array.from({ length: width }, (_, j) => `b${j}: {start_at: t, steps: {t: ${task(j)}}}`).join(', ')}}}`;
const nested = `dag:
  start_at: outer
  steps:
    outer:
      type: parallel
      next: success
      branches:
${Array.from({ length: width }, (_, i) => `        o${i}: {start_at: m, steps: {m: {type: map, iterate_on: items, iterate_as: item, next: success, branch: {start_at: p, steps: {p: ${inner}}}}}}`).join('\n')}
`;

const config = 'pipeline-executor:\n  type: argo\n  config:\n    pvc_for_runnable: runnable\n    defaults: {image: registry.example.com/project:1.0}\nrun-log-store: {type: chunked-fs}\n';
const ws = workspace({ 'chain.yaml': chain.join('\n'), 'nested.yaml': nested, 'argo.yaml': config, 'params.yaml': 'items: [1, 2, 3]\n' });
try {
  for (const [name, pipeline] of [
    [`chain of ${chainSteps} steps`, 'chain.yaml'],
    [`${width}-wide 3-deep composite`, 'nested.yaml'],
  ]) {
    await executePipeline({ pipeline, configFile: 'argo.yaml', parametersFile: 'params.yaml', cwd: ws.dir }); // warm
    const t0 = performance.now();
    const result = await executePipeline({ pipeline, configFile: 'argo.yaml', parametersFile: 'params.yaml', cwd: ws.dir });
    const ms = performance.now() - t0;
    const manifest = parse(readFileSync(path.join(ws.dir, result.handOff.file), 'utf8'));
    const t1 = performance.now();
    const problem = argoProblem('Workflow', manifest);
    const checkMs = performance.now() - t1;
    if (problem) throw new Error(`${name}: invalid manifest: ${problem}`);
    const bytes = readFileSync(path.join(ws.dir, result.handOff.file)).length;
    // the compiler alone: the pipeline loaded and checked, then the manifest built and written
    const run = await prepareRun({ pipeline, configFile: 'argo.yaml', parametersFile: 'params.yaml', cwd: ws.dir });
    const t2 = performance.now();
    await run.executor.handOff(run);
    const compileMs = performance.now() - t2;
    console.log(
      `argo compile: ${name}: ${fmt(compileMs, 0)} ms to build and write the manifest (target < 1000 ms), ${fmt(ms, 0)} ms end to end (loading the YAML pipeline included); ${manifest.spec.templates.length} templates, ${fmt(bytes / 1e6, 1)} MB; strict schema check ${fmt(checkMs, 0)} ms (the first includes compiling the schema)`,
    );
  }
} finally {
  ws.cleanup();
}
