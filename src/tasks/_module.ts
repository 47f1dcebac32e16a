/**
 * Loading a user's module by command: `PATH:EXPORT` or `PATH` (the default export), PATH a
 * `.ts`/`.mts`/`.js`/`.mjs` file relative to the working directory. Used for typescript tasks,
 * map reducers and pipeline/job modules, so nothing here knows about tasks.
 *
 * TS files load without a build step: bundled by esbuild into a cached ES module where that is
 * safe and the process asked for it (./_ts_bundle.ts), else through tsx. tsx is imported lazily, on the first TS file,
 * so a CLI run that never touches TS pays nothing for it. A TS file that Node would treat as
 * CommonJS (`.cts`, or `.ts` in a package without `"type": "module"`, or in no package at all)
 * is loaded through tsx's `require`, so that its stack traces name the file and line (tsx's ESM
 * loader would hand Node a `data:` URL holding the whole compiled module instead).
 */
import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { RunnableError } from '../errors.js';
import { acorn } from './_bind.js';
import { importBundled } from './_ts_bundle.js';

export interface ParsedCommand {
  /** the module path as written */
  file: string;
  /** the export's name; 'default' when the command names no export */
  exportName: string;
}

const MODULE_FILE = /\.(?:ts|mts|js|mjs)$/;
const TS_FILE = /\.[mc]?ts$/;

/** Splits `PATH:EXPORT` / `PATH`; throws E_COMMAND when PATH is not a supported module file. */
export function parseCommand(command: string): ParsedCommand {
  const text = command.trim();
  const colon = text.lastIndexOf(':');
  // The last colon separates the export only when what precedes it is a module file, so a
  // path that happens to contain a colon still works as a plain PATH.
  if (colon > 0 && MODULE_FILE.test(text.slice(0, colon))) {
    const exportName = text.slice(colon + 1).trim();
    if (!exportName) throw commandError(command, `command '${command}' names no export after ':'`);
    return { file: text.slice(0, colon), exportName };
  }
  if (MODULE_FILE.test(text)) return { file: text, exportName: 'default' };
  throw commandError(command, `command '${command}' must be PATH:EXPORT or PATH of a .ts, .mts, .js or .mjs module`);
}

/** Whether `command` (`PATH:EXPORT` or `PATH`) names a TypeScript module; false for anything else (a Python reducer, a shell line). */
export function isTypeScriptCommand(command: string): boolean {
  try {
    return TS_FILE.test(parseCommand(command).file);
  } catch {
    return false;
  }
}

/** Checks that the command's module file exists, without importing it (pre-run validation). */
export async function checkCommand(command: string, cwd: string): Promise<void> {
  const { file } = parseCommand(command);
  await assertFile(file, path.resolve(cwd, file), command);
}

/** Resolved exports by `cwd \0 command`: after the first call a task's lookup is one Map hit. */
const exportCache = new Map<string, unknown>();
/** Module namespaces by absolute path, as promises so concurrent first loads share one import. */
const moduleCache = new Map<string, Promise<Record<string, unknown>>>();

/** The value of the command's export (any value: callers check it is what they need). */
export async function loadExport(command: string, cwd: string): Promise<unknown> {
  const key = `${cwd}\0${command}`;
  if (exportCache.has(key)) return exportCache.get(key);
  const { file, exportName } = parseCommand(command);
  const ns = await loadModule(file, cwd, command);
  const value = pickExport(ns, exportName, file, command);
  exportCache.set(key, value);
  return value;
}

/** The whole namespace of a module file (relative to cwd), loaded once per absolute path. */
export async function loadModule(file: string, cwd: string, command = file): Promise<Record<string, unknown>> {
  const abs = path.resolve(cwd, file);
  let pending = moduleCache.get(abs);
  if (!pending) {
    pending = importFile(file, abs, command);
    moduleCache.set(abs, pending);
    // A failed load is not cached, so a fixed file can be tried again in the same process.
    pending.catch(() => moduleCache.delete(abs));
  }
  return pending;
}

async function importFile(file: string, abs: string, command: string): Promise<Record<string, unknown>> {
  await assertFile(file, abs, command);
  const url = pathToFileURL(abs).href;
  try {
    if (TS_FILE.test(abs)) {
      const commonJs = isCommonJs(abs);
      const bundled = await importBundled(abs, !commonJs);
      if (bundled) return bundled;
      const loader = await tsLoader();
      return commonJs ? loader.require(abs) : await loader.import(url);
    }
    return (await import(url)) as Record<string, unknown>;
  } catch (e) {
    const err = commandError(command, `cannot load module ${file}: ${e instanceof Error ? e.message : String(e)}`);
    throw Object.assign(err, { cause: e });
  }
}

/**
 * Loads the parser that binds a function's arguments now rather than at the first TS step, and
 * with `tsx`, registers tsx too (a step process started ahead of its step).
 */
export async function preloadTypeScript(tsx: boolean): Promise<void> {
  acorn();
  if (tsx) await tsLoader();
}

interface TsLoader {
  import(url: string): Promise<Record<string, unknown>>;
  /** a CommonJS module's exports, shaped as `import()` gives them: named exports and `default` */
  require(file: string): Record<string, unknown>;
}
let tsImporter: Promise<TsLoader> | undefined;

/**
 * One tsx registration for the whole process. tsx's own `tsImport` registers a fresh namespace
 * per call, which costs a loader registration each time and gives two step modules that import
 * the same helper two separate instances of it. A single namespace (ESM + CJS hooks, as
 * `tsImport` pairs them, so TS files in a package without "type": "module" can `require` their
 * siblings) keeps one instance of every user module.
 */
function tsLoader(): Promise<TsLoader> {
  tsImporter ??= (async () => {
    const [esm, cjs] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
    const namespace = 'runnable-ts';
    const cjsApi = cjs.register({ namespace });
    const api = esm.register({ namespace });
    const parent = import.meta.url;
    return {
      import: (url: string) => api.import(url, parent) as Promise<Record<string, unknown>>,
      require: (file: string) => {
        const exports = cjsApi.require(file, parent) as Record<string, unknown>;
        return { ...exports, default: exports };
      },
    };
  })();
  return tsImporter;
}

/** Node's own rule: `.cts` is CommonJS, `.mts` ESM, `.ts` what the nearest package.json's `type` says (CommonJS without one). */
function isCommonJs(file: string): boolean {
  if (file.endsWith('.cts')) return true;
  if (file.endsWith('.mts')) return false;
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    let text: string | undefined;
    try {
      text = readFileSync(path.join(dir, 'package.json'), 'utf8');
    } catch {
      // no package.json here: look further up
    }
    if (text !== undefined) {
      try {
        return (JSON.parse(text) as { type?: unknown }).type !== 'module';
      } catch {
        return true; // a package.json Node cannot read either: Node would fail on it; CommonJS is its default
      }
    }
    if (path.dirname(dir) === dir) return true;
  }
}

function pickExport(ns: Record<string, unknown>, exportName: string, file: string, command: string): unknown {
  // A TS file compiled as CommonJS (its package has no "type": "module") arrives with
  // module.exports as `default`; its own default export is one level down.
  const cjs = ns.default as Record<string, unknown> | undefined;
  const cjsShaped = cjs !== null && typeof cjs === 'object' && (cjs as { __esModule?: unknown }).__esModule === true;
  if (exportName === 'default') {
    const value = cjsShaped ? cjs.default : ns.default;
    if (value !== undefined) return value;
  } else if (Object.hasOwn(ns, exportName) && exportName !== 'module.exports') {
    return ns[exportName];
  } else if (cjsShaped && Object.hasOwn(cjs, exportName)) {
    return cjs[exportName];
  }
  const names = exportNames(ns, cjsShaped ? cjs : undefined);
  const what = exportName === 'default' ? 'no default export' : `no export '${exportName}'`;
  throw commandError(command, `module ${file} has ${what} (exports: ${names.length ? names.join(', ') : 'none'})`);
}

function exportNames(ns: Record<string, unknown>, cjs: Record<string, unknown> | undefined): string[] {
  const names = new Set(Object.keys(ns).filter((k) => k !== 'module.exports'));
  if (cjs) {
    names.delete('default');
    for (const k of Object.keys(cjs)) names.add(k);
    if (cjs.default === undefined) names.delete('default');
  }
  return [...names].sort();
}

async function assertFile(file: string, abs: string, command: string): Promise<void> {
  const info = await stat(abs).catch(() => undefined);
  if (!info) throw commandError(command, `module ${file} not found (command '${command}', looked at ${abs})`);
  if (!info.isFile()) throw commandError(command, `module ${file} is not a file (command '${command}')`);
}

function commandError(command: string, message: string): RunnableError {
  return new RunnableError('E_COMMAND', message, { field: 'command' });
}
