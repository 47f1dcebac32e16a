// Bundles the processes runnable-ts starts into dist/bundle/ (run by `npm run build`, after tsc):
// the command line (bin/runnable.js), the Slurm job entry and the container/child job entry.
// Two steps:
// 1. esbuild bundles the three entries with code splitting: what they share goes into chunks,
//    and lazy imports stay lazy, so a process loads only what it runs (`--help` loads commander
//    and the command table, not the engine).
// 2. Each output becomes a CommonJS chunk (esbuild's transform) loaded by dist/bundle/load.cjs
//    (scripts/bundle-load.cjs), which compiles chunks with V8's code cache: Node 20 has no
//    compile cache for ES modules. Imports between chunks become require(); other dynamic
//    imports (users' modules, tsx) stay import(), for Node's loader.
// dist/bundle/{runnable,slurm-job,container-job}.mjs are small ES modules starting them, the
// paths the executors run. tsx, acorn and the lazily loaded CommonJS packages (the Kubernetes
// client, which k8s-job loads when it submits, the AWS SDK, OpenTelemetry, dotenv) stay outside:
// they are loaded from node_modules.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build, transform } from 'esbuild';

const OUT = 'dist/bundle';
const ESM = path.join(OUT, '.esm');
const CHUNKS = path.join(OUT, 'chunks');
const ENTRIES = { runnable: 'dist/cli/main.js', 'slurm-job': 'dist/entries/slurm-job.js', 'container-job': 'dist/entries/container-job.js' };

rmSync(OUT, { recursive: true, force: true });

// fdir (tinyglobby's crawler) requires picomatch from node_modules when it loads, for its own
// `glob()` builder, which tinyglobby never calls (it gives fdir its own matchers): parsed with
// no code cache, that was ~7 ms of every step process, whose catalog puts its attempt log
// through tinyglobby. The bundled fdir leaves it out; a new fdir without that block fails here.
const FDIR_PICOMATCH = /try \{\s*__require\.resolve\("picomatch"\);\s*pm = __require\("picomatch"\);\s*\} catch \{\}/;
const noFdirPicomatch = {
  name: 'fdir-without-picomatch',
  setup(b) {
    b.onLoad({ filter: /[\\/]fdir[\\/]dist[\\/]index\.mjs$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!FDIR_PICOMATCH.test(text)) throw new Error(`${args.path}: fdir's picomatch require not found (scripts/bundle.mjs: fdir-without-picomatch)`);
      return { contents: text.replace(FDIR_PICOMATCH, ''), loader: 'js' };
    });
  },
};

await build({
  entryPoints: ENTRIES,
  plugins: [noFdirPicomatch],
  outdir: ESM,
  bundle: true,
  splitting: true,
  chunkNames: 'chunk-[hash]',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // CommonJS packages that are imported lazily stay outside too: in split chunks esbuild gives a
  // lazily imported CommonJS module only a default export (`const { parse } = await
  // import('dotenv')` found no `parse`), while Node's own loader gives its named exports
  external: ['tsx', 'tsx/*', 'esbuild', 'acorn', 'dotenv', '@aws-sdk/*', '@smithy/*', '@opentelemetry/*', '@kubernetes/client-node'],
  logLevel: 'warning',
});

mkdirSync(CHUNKS, { recursive: true });
const META_URL = '__runnable_import_meta_url';
const DYNAMIC_IMPORT = '__runnable_import';
const LAZY = '__runnable_lazy';
for (const name of readdirSync(ESM)) {
  let code = readFileSync(path.join(ESM, name), 'utf8');
  // a chunk imported lazily is required lazily, through the loader's code cache
  code = code.replace(/\bimport\((["'])\.\/([^"']+)\.js\1\)/g, (_, q, file) => `Promise.resolve().then(() => ${LAZY}(require(${q}./${file}.cjs${q})))`);
  code = code.replace(/(\bfrom\s*["']\.\/[^"']+)\.js(["'])/g, '$1.cjs$2').replace(/(\bimport\s*["']\.\/[^"']+)\.js(["'])/g, '$1.cjs$2');
  // the others (users' modules, tsx) through the loader's import(): code compiled by vm.Script
  // has no dynamic-import callback on Node 20 without an experimental flag
  code = code.replace(/(?<![\w.$])import\((?=\s*[\w"'`])/g, `${DYNAMIC_IMPORT}(`);
  const out = await transform(code, {
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    define: { 'import.meta.url': META_URL },
    // less to ship and to parse; names are kept, so internal errors' stacks still read
    minifyWhitespace: true,
    minifySyntax: true,
    banner: `var ${META_URL} = require('node:url').pathToFileURL(__filename).href, ${DYNAMIC_IMPORT} = require('../load.cjs').dynamicImport, ${LAZY} = require('../load.cjs').lazy;`,
    logLevel: 'warning',
  });
  writeFileSync(path.join(CHUNKS, name.replace(/\.js$/, '.cjs')), out.code);
}
rmSync(ESM, { recursive: true, force: true });

copyFileSync('scripts/bundle-load.cjs', path.join(OUT, 'load.cjs'));
writeFileSync(path.join(OUT, 'package.json'), '{"type": "commonjs"}\n');
for (const name of Object.keys(ENTRIES)) {
  const exports = name === 'runnable' ? 'export const { main, awaitCommand } = ' : '';
  writeFileSync(
    path.join(OUT, `${name}.mjs`),
    `// Starts the bundled ${name} (scripts/bundle.mjs) through the code-caching loader.\nimport { createRequire } from 'node:module';\n${exports}createRequire(import.meta.url)('./load.cjs').load(${JSON.stringify(name)});\n`,
  );
}
