// Notebook step overhead: a one-cell notebook with one parameter in and one return out, run
// RUNS times per kernel (Python's ipykernel, Deno's TypeScript kernel when installed) through
// the notebook task kind. Reports the whole step (driver start to kernel shut down) and its
// phases as the driver measures them: Python + nbclient import, kernel start until ready,
// cells, reading the returns, shutting the kernel down. "kernel start to returns" is
// returns - imported.
// Usage: node bench/notebook.mjs [runs=5]
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NOTEBOOK_DRIVER, pythonForNotebooks } from '../dist/tasks/_python.js';
import { runHelper } from '../dist/tasks/_python_process.js';
import { workspace, fmt } from './_workspace.mjs';

const runs = Number(process.argv[2] ?? 5);
const notebook = (kernelspec, parameters, body) =>
  JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec },
    cells: [
      { cell_type: 'code', id: 'p', metadata: { tags: ['parameters'] }, execution_count: null, outputs: [], source: parameters },
      { cell_type: 'code', id: 'b', metadata: {}, execution_count: null, outputs: [], source: body },
    ],
  });
const ws = workspace({
  'py.ipynb': notebook({ name: 'python3', language: 'python', display_name: 'Python 3' }, 'x = 0', 'y = x * 2'),
  'ts.ipynb': notebook({ name: 'deno', language: 'typescript', display_name: 'Deno' }, 'let x = 0;', 'const y = x * 2;'),
});
const python = await pythonForNotebooks();
const sink = { stdout: () => undefined, stderr: (c) => process.env.BENCH_VERBOSE && process.stderr.write(c) };

async function once(file) {
  const dir = await mkdtemp(path.join(tmpdir(), 'runnable-bench-nb-'));
  try {
    const t0 = performance.now();
    const result = await runHelper({
      python: python.command,
      script: NOTEBOOK_DRIVER,
      request: { notebook: path.join(ws.dir, file), cwd: ws.dir, parameters: { x: 21 }, returns: [{ name: 'y', kind: 'json' }], output: path.join(dir, 'out.ipynb'), tmpdir: dir },
      input: { cwd: ws.dir, env: {}, output: sink, signal: new AbortController().signal },
    });
    const total = performance.now() - t0;
    if (!result.ok || result.returns?.y?.value !== 42) throw new Error(`bad result: ${JSON.stringify(result)}`);
    readFileSync(path.join(dir, 'out.ipynb'));
    return { total, ...result.timings };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  for (const [label, file, kernel] of [['python3 (ipykernel)', 'py.ipynb', 'python3'], ['deno (TypeScript)', 'ts.ipynb', 'deno']]) {
    if (!python.kernels[kernel]?.runnable) {
      console.log(`notebook: ${label}: kernel not installed, skipped`);
      continue;
    }
    await once(file); // warm the OS file cache
    const samples = [];
    for (let i = 0; i < runs; i++) samples.push(await once(file));
    // medians of each phase's own duration, sample by sample
    const phase = (from, to) => median(samples.map((s) => s[to] - (from ? s[from] : 0)));
    const step = median(samples.map((s) => s.total / 1000));
    console.log(
      `notebook: ${label}: median of ${runs}: step ${fmt(step, 2)} s; kernel start to returns ${fmt(phase('imported', 'returns'), 2)} s ` +
        `(python + nbclient import ${fmt(phase(null, 'imported'), 2)}, kernel start ${fmt(phase('imported', 'kernel_ready'), 2)}, ` +
        `cells ${fmt(phase('kernel_ready', 'executed'), 2)}, returns ${fmt(phase('executed', 'returns'), 2)}, shutdown ${fmt(phase('returns', 'shut_down'), 2)})`,
    );
  }
} finally {
  ws.cleanup();
}
