/**
 * Locating a function step's function: the module file that defines it and the export under
 * which that module exposes this very function, so that any process can load it again by
 * `PATH:EXPORT` (SPEC §2, typescript tasks). Also used for map reducers given as functions.
 *
 * V8 gives the defining script and the bindings holding the function (./_inspector.ts); the
 * script's source says which export reads which binding (./_exports.ts). Nothing is imported,
 * so this works synchronously, during the evaluation of the very module that defines the
 * functions, and without running any module a second time.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunnableError } from '../errors.js';
import { exportTable, type ExportTable } from './_exports.js';
import { inspectFunction, inspectScript } from './_inspector.js';

export interface FunctionLocation {
  /** absolute path of the module file */
  file: string;
  /** the export's name; 'default' for the default export */
  exportName: string;
}

/** any function, whatever its parameters */
export type AnyFunction = (...args: never[]) => unknown;

const MODULE_FILE = /\.(?:ts|mts|js|mjs)$/;
const EXPORT_NAME = /^[A-Za-z_$][\w$]*$/;

interface ScriptAnalysis {
  url: string;
  /** absolute path when the URL is a file URL */
  file?: string;
  table: ExportTable;
  lineStarts: number[];
}

const located = new WeakMap<object, FunctionLocation>();
const scripts = new Map<string, ScriptAnalysis>();

/**
 * Where `fn` can be loaded from. Cached per function: after the first call for a function it is
 * one WeakMap hit. Throws E_COMMAND naming the function and what to do.
 * @example locateFunction(prepare) // { file: '/repo/src/functions.ts', exportName: 'prepare' }
 */
export function locateFunction(fn: AnyFunction): FunctionLocation {
  const hit = located.get(fn);
  if (hit) return hit;
  const label = fn.name ? `function '${fn.name}'` : 'an anonymous function';
  const facts = inspectFunction(fn);
  if (!facts) throw fail(`cannot locate ${label}: it is a built-in function; pass a function exported by a .ts/.mts/.js/.mjs module`);
  const script = analyse(facts.scriptId);
  if (!script.file) {
    const where = script.url ? `'${script.url}'` : 'code evaluated at run time (eval, new Function, a REPL)';
    throw fail(`cannot locate ${label}: it is defined in ${where}, not in a module file; define it in a .ts/.mts/.js/.mjs module and export it`);
  }
  const shown = display(script.file);
  if (!MODULE_FILE.test(script.file)) {
    throw fail(`${label} is defined in ${shown}: task functions must live in a .ts, .mts, .js or .mjs module`);
  }
  if (!script.table.parsed) throw fail(`cannot read the exports of ${shown} to locate ${label}`);
  const names = exportNames(script, facts.boundAs, offsetOf(script, facts.lineNumber, facts.columnNumber));
  if (names.length === 0) {
    throw fail(
      `${label} (defined in ${shown}) is not exported by ${shown}: export it (\`export function ${fn.name || 'name'}\` or \`export { ${fn.name || 'name'} }\`) so that the step can load it by PATH:EXPORT`,
    );
  }
  const exportName = pick(names, fn.name);
  if (!EXPORT_NAME.test(exportName)) {
    throw fail(`${label} is exported by ${shown} as '${exportName}', which a command cannot name: export it under an identifier`);
  }
  const location = { file: script.file, exportName };
  located.set(fn, location);
  return location;
}

/**
 * `relative/path.ts:exportName` (or `relative/path.ts` for a default export), relative to `cwd`, `/`-separated.
 * @example commandFor(locateFunction(prepare), '/repo') // 'src/functions.ts:prepare'
 */
export function commandFor(location: FunctionLocation, cwd: string): string {
  const rel = path.relative(cwd, location.file).split(path.sep).join('/');
  return location.exportName === 'default' ? rel : `${rel}:${location.exportName}`;
}

function analyse(scriptId: string): ScriptAnalysis {
  let script = scripts.get(scriptId);
  if (script) return script;
  const { url, source } = inspectScript(scriptId);
  // tsx marks the modules it loads with a query (`?tsx-namespace=...`): the file is the same.
  const bare = url.replace(/[?#].*$/, '');
  script = {
    url,
    file: bare.startsWith('file:') ? fileURLToPath(bare) : path.isAbsolute(bare) ? bare : undefined,
    table: exportTable(source),
    lineStarts: lineStarts(source),
  };
  scripts.set(scriptId, script);
  return script;
}

function exportNames(script: ScriptAnalysis, boundAs: string[], offset: number): string[] {
  const names = boundAs.flatMap((local) => script.table.byLocal.get(local) ?? []);
  const anon = script.table.anonymousDefault;
  // `export default function () {}` has no binding to compare: its location is the evidence.
  if (anon && offset >= anon[0] && offset < anon[1]) names.push('default');
  return [...new Set(names)];
}

/** The export named like the function, else a named export, else the default. */
function pick(names: string[], fnName: string): string {
  return names.find((n) => n === fnName) ?? names.find((n) => n !== 'default') ?? names[0]!;
}

function lineStarts(source: string): number[] {
  const starts = [0];
  for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

const offsetOf = (s: ScriptAnalysis, line: number, column: number) => (s.lineStarts[line] ?? 0) + column;

function display(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return (rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file).split(path.sep).join('/');
}

function fail(message: string): RunnableError {
  return new RunnableError('E_COMMAND', message, { field: 'command' });
}
