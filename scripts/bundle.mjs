// Bundles the processes runnable-ts starts into dist/bundle/ (run by `npm run build`, after tsc):
// the command line (bin/runnable.js), the Slurm job entry and the container/child job entry.
// One file each instead of some 300 modules (the engine, zod, yaml, commander) takes about a
// third off every process start, which every step pays under emulate, containers and Slurm.
// Shared code goes into chunks, and lazy imports stay lazy (`--help` loads little).
// tsx (the loader for users' TS modules) and acorn stay outside: they are loaded from node_modules.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: {
    runnable: 'dist/cli/main.js',
    'slurm-job': 'dist/entries/slurm-job.js',
    'container-job': 'dist/entries/container-job.js',
  },
  outdir: 'dist/bundle',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: false,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['tsx', 'tsx/*', 'acorn'],
  // CommonJS dependencies (yaml, commander) call require(): give ESM chunks one
  banner: { js: "import { createRequire as __runnableRequire } from 'node:module'; const require = __runnableRequire(import.meta.url);" },
  sourcemap: 'linked',
  logLevel: 'warning',
});
