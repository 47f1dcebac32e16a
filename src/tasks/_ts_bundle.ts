/**
 * A TS module loaded without tsx, where that is safe: its graph of the user's own files bundled
 * once by esbuild into an ES module kept in a cache, and imported from there. On Node 20, tsx's
 * ES module hooks run in a loader thread that costs a step process ~250 ms of CPU to start (and
 * loading tsx itself); a bundle from the cache costs the reading and hashing of its sources.
 *
 * Only a process that loads one TS module takes this path (`bundleNextTypeScriptModule`: a step
 * process of a YAML pipeline, which loads its task's module or its map's reducer and nothing
 * else), since two bundles sharing a file would each hold their own instance of it. What stays
 * with tsx (the caller falls back whenever this returns undefined):
 * - CommonJS TS (the caller's rule), and Node started with flags that change resolution or
 *   module types (`--conditions`, `--import`, `--loader`, `--require`, `--preserve-symlinks`,
 *   ...) in its arguments or NODE_OPTIONS;
 * - a graph whose code uses `import.meta` (its URL would be the bundle's), `require`, or an
 *   `import()` of a computed specifier (resolved from the bundle, not the importing file);
 * - anything esbuild cannot bundle (a syntax error, a missing file: tsx then reports it as before).
 *
 * Packages stay outside the bundle: each bare import is resolved as Node resolves it (esbuild's
 * resolver with Node's conditions, `module-sync` included) and imported by that absolute path,
 * so a package is the same single instance it would be. The cache (a directory of the user's own
 * under the system's temporary directory, refused if anyone else could write it) holds, per
 * entry, the bundle (named by its content's hash) and a manifest of what it was built from:
 * every bundled file, every `package.json`/`tsconfig.json`/`jsconfig.json` of their folders and
 * above, and the `package.json` of every package imported, each by its content's hash. Any of
 * them changed, and the module is bundled again. Stack traces name the TS files and lines
 * (an inline source map, with Node's source maps on, as tsx turns them on).
 */
import { existsSync, lstatSync, mkdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BuildResult, Plugin } from 'esbuild';
import { sha256 } from '../util/sha256.js';
import { writeFileAtomic } from '../util/write-sync.js';

/** bumped when what a manifest means changes */
const FORMAT = 1;
const CONFIG_FILES = ['package.json', 'tsconfig.json', 'jsconfig.json'];
/** code a bundle cannot run as its sources would: see the module comment */
const UNSAFE = /\bimport\.meta\b|\b__require\b|\bimport\s*\(\s*(?!["'])/;
/** Node flags that change how modules are found or what a file is: a bundle would not follow them */
const RESOLUTION_FLAGS = /(?:^|\s)(?:--conditions|-C|--import|--loader|--experimental-loader|--require|-r|--preserve-symlinks(?:-main)?|--experimental-default-type|--experimental-detect-module|--experimental-policy)(?:[=\s]|$)/;
const BUNDLE_NAME = /^[0-9a-f]{32}-[0-9a-f]{16}\.mjs$/;

interface Manifest {
  format: number;
  /** the bundle's file name, in the cache directory */
  bundle: string;
  /** content hashes by absolute path; null: the file did not exist */
  files: Record<string, string | null>;
}

let allowed = false;

/** The next TS module this process loads may be bundled (it will load no other). */
export function bundleNextTypeScriptModule(): void {
  allowed = true;
}

/**
 * The namespace of TS module `abs` imported from its bundle, or undefined: load it with tsx.
 * `esm`: whether Node takes it for an ES module (CommonJS TS always goes to tsx).
 */
export async function importBundled(abs: string, esm: boolean): Promise<Record<string, unknown> | undefined> {
  if (!allowed || !esm) return undefined;
  allowed = false; // one module per process: the next goes to tsx
  if (RESOLUTION_FLAGS.test(`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`)) return undefined;
  const dir = cacheDir();
  if (!dir) return undefined;
  const key = sha256(JSON.stringify([FORMAT, process.version, abs])).slice(0, 32);
  const manifestFile = path.join(dir, `${key}.json`);
  const manifest = fresh(dir, readManifest(manifestFile)) ?? (await bundle(abs, dir, key, manifestFile));
  if (!manifest) return undefined;
  process.setSourceMapsEnabled(true);
  return (await import(pathToFileURL(path.join(dir, manifest.bundle)).href)) as Record<string, unknown>;
}

/** The user's own cache directory, or undefined when it cannot be made or is not safely ours. */
function cacheDir(): string | undefined {
  const uid = process.getuid?.();
  if (uid === undefined || !path.isAbsolute(tmpdir())) return undefined;
  const root = path.join(tmpdir(), `runnable-ts-${uid}`);
  try {
    mkdirSync(root, { recursive: true, mode: 0o700 });
    const info = lstatSync(root);
    // another user's directory (or one they could write in) would hand us their code to run
    if (!info.isDirectory() || info.uid !== uid || (info.mode & 0o022) !== 0) return undefined;
    const dir = path.join(root, 'ts-bundles');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  } catch {
    return undefined;
  }
}

function contentHash(file: string): string | null {
  try {
    return sha256(readFileSync(file));
  } catch {
    return null;
  }
}

function readManifest(file: string): Manifest | undefined {
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
    return m.format === FORMAT && typeof m.bundle === 'string' && BUNDLE_NAME.test(m.bundle) && m.files && typeof m.files === 'object' ? m : undefined;
  } catch {
    return undefined;
  }
}

/** `m` when every file it was built from is as it was and its bundle is there. */
function fresh(dir: string, m: Manifest | undefined): Manifest | undefined {
  if (!m || !existsSync(path.join(dir, m.bundle))) return undefined;
  for (const [file, was] of Object.entries(m.files)) if (contentHash(file) !== was) return undefined;
  return m;
}

async function bundle(abs: string, dir: string, key: string, manifestFile: string): Promise<Manifest | undefined> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    return undefined;
  }
  const packages = new Set<string>();
  const inner = { runnable: 'resolving' };
  const packagesOutside: Plugin = {
    name: 'runnable-packages-outside',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === inner) return undefined;
        if (isBuiltin(args.path)) return { path: args.path, external: true };
        const r = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: inner });
        if (r.errors.length) return { errors: r.errors };
        // a tsconfig `paths` alias or a package.json `imports` entry naming the user's own file: bundled
        const pkg = r.path.includes(`${path.sep}node_modules${path.sep}`) ? packageJsonOf(r.path) : undefined;
        if (!pkg) return { path: r.path };
        packages.add(pkg);
        // a file URL: a path holding '#' or '%' is not a URL as it stands
        return { path: pathToFileURL(r.path).href, external: true };
      });
    },
  };
  let result: BuildResult<{ write: false; metafile: true }>;
  try {
    result = await esbuild.build({
      entryPoints: [abs],
      absWorkingDir: path.dirname(abs),
      bundle: true,
      write: false,
      // the real name's directory: the source map's paths are relative to it
      outfile: path.join(dir, `${key}.mjs`),
      format: 'esm',
      platform: 'node',
      // as tsx transforms each file (its target, minified whitespace, names kept): a function's
      // text, which step caching hashes, is the same in a bundle as through tsx
      target: `node${process.versions.node}`,
      minifyWhitespace: true,
      conditions: ['module-sync'],
      // (and names two files share, renamed apart in one bundle, keep `.name` what the code says)
      keepNames: true,
      // every file's code runs as Node would run it: none dropped as unused, whatever a
      // package.json's `sideEffects` or a /* @__PURE__ */ comment says
      treeShaking: false,
      ignoreAnnotations: true,
      sourcemap: 'inline',
      sourcesContent: false,
      metafile: true,
      logLevel: 'silent',
      plugins: [packagesOutside],
    });
  } catch {
    return undefined; // tsx loads it and says what is wrong, as it always has
  }
  const code = result.outputFiles[0]?.text;
  const map = code?.lastIndexOf('//# sourceMappingURL=') ?? -1;
  if (code === undefined || UNSAFE.test(map < 0 ? code : code.slice(0, map))) return undefined;
  const sources = Object.keys(result.metafile.inputs).map((f) => path.resolve(path.dirname(abs), f));
  const files: Record<string, string | null> = {};
  for (const file of [...sources, ...configFilesOf(sources), ...packages]) files[file] = contentHash(file);
  const manifest: Manifest = { format: FORMAT, bundle: `${key}-${sha256(code).slice(0, 16)}.mjs`, files };
  try {
    // atomic: processes of one run bundle the same module side by side
    writeFileAtomic(path.join(dir, manifest.bundle), code);
    writeFileAtomic(manifestFile, JSON.stringify(manifest));
  } catch {
    return undefined; // a full or read-only disk: tsx needs no cache of ours
  }
  return manifest;
}

/** The config files esbuild and Node read for `sources`: in each one's folder and every folder above. */
function configFilesOf(sources: string[]): string[] {
  const dirs = new Set<string>();
  for (const source of sources) {
    for (let d = path.dirname(source); !dirs.has(d); d = path.dirname(d)) {
      dirs.add(d);
      if (path.dirname(d) === d) break;
    }
  }
  return [...dirs].flatMap((d) => CONFIG_FILES.map((f) => path.join(d, f)));
}

/** The package.json of the package a file in node_modules belongs to. */
function packageJsonOf(file: string): string | undefined {
  for (let d = path.dirname(file); path.basename(d) !== 'node_modules' && path.dirname(d) !== d; d = path.dirname(d)) {
    const pkg = path.join(d, 'package.json');
    if (existsSync(pkg)) return pkg;
  }
  return undefined;
}
