// The loader of the bundled programs (copied to dist/bundle/load.cjs by scripts/bundle.mjs).
// Node 20 has no compile cache for ES modules, so the bundles are CommonJS chunks, and this
// compiles each with V8's code cache (vm.Script cachedData): the first process that loads a
// chunk writes its cache (after running, so it holds the functions that ran), the next ones
// skip parsing and compiling it. A cache V8 rejects (another node) is replaced; one that cannot
// be written (a read-only installation in a container) is simply not used. Dynamic import() in
// the chunks (users' modules, tsx) is `dynamicImport` below, Node's own loader: code compiled
// by vm.Script has no dynamic-import callback on Node 20 without an experimental flag.
'use strict';
const Module = require('node:module');
const vm = require('node:vm');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

const CHUNKS = path.join(__dirname, 'chunks');
const CACHE = path.join(__dirname, '.v8-cache');
const toWrite = [];

function cacheFile(filename, source) {
  const hash = crypto.createHash('sha1').update(source).update(process.version).update(process.arch).digest('hex').slice(0, 16);
  return path.join(CACHE, `${path.basename(filename)}.${hash}`);
}

function readCache(file) {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

function compileChunk(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const file = cacheFile(filename, source);
  const cachedData = readCache(file);
  const script = new vm.Script(Module.wrap(source), {
    filename,
    cachedData,
  });
  if (!cachedData || script.cachedDataRejected) toWrite.push({ script, file });
  const wrapper = script.runInThisContext({ displayErrors: true });
  const require = Module.createRequire(filename);
  wrapper.call(module.exports, module.exports, require, module, filename, path.dirname(filename));
}

const plainCjs = Module._extensions['.cjs'] ?? Module._extensions['.js'];
Module._extensions['.cjs'] = function (module, filename) {
  if (path.dirname(filename) === CHUNKS) return compileChunk(module, filename);
  return plainCjs(module, filename);
};

process.once('exit', () => {
  if (!toWrite.length) return;
  try {
    fs.mkdirSync(CACHE, { recursive: true });
    for (const { script, file } of toWrite) {
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, file); // atomic: step processes load and write caches side by side
    }
  } catch {
    // a read-only installation: no cache, the chunks still load
  }
});

/** import() for the chunks; specifiers are bare (tsx) or absolute URLs (users' modules). */
exports.dynamicImport = (specifier, options) => import(specifier, options);

/**
 * A chunk required lazily, as import() would give it: a chunk that only wraps a CommonJS
 * dependency (`export default require_x()`, e.g. dotenv) shows that module's exports by name
 * too, as Node's import() of a CommonJS module does.
 */
exports.lazy = (m) => {
  const keys = Object.keys(m);
  return keys.length === 1 && keys[0] === 'default' && m.default && typeof m.default === 'object' ? { ...m.default, default: m.default } : m;
};

/** Loads the bundled program `name` (runnable, slurm-job, container-job); returns its exports. */
exports.load = (name) => require(path.join(CHUNKS, `${name}.cjs`));
