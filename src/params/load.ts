/**
 * A run's initial parameters (SPEC §3): the top-level keys of the parameters YAML file
 * (`-p`, else RUNNABLE_PARAMETERS_FILE), then every `RUNNABLE_PRM_<name>` env var, which
 * overrides or adds `<name>`. All are `json` kind. Every problem is a RunnableError('E_PARAMS'),
 * reported before anything runs.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Node } from 'yaml';
import { RunnableError, type ErrorLocation } from '../errors.js';
import type { Parameters } from '../runlog/types.js';
import { parseEnvValue } from '../util/env-value.js';
import { parameterNameProblem } from '../graph/rules.js';
import { jsonValueProblem } from './json-value.js';
import { aliasCycle } from '../yaml/yaml-file.js';

export const ENV_PREFIX = 'RUNNABLE_PRM_';

export interface LoadParametersOptions {
  /** the `-p` file; when absent, env RUNNABLE_PARAMETERS_FILE; relative to `cwd` */
  file?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export async function loadInitialParameters(opts: LoadParametersOptions): Promise<Parameters> {
  const file = opts.file || opts.env.RUNNABLE_PARAMETERS_FILE || undefined;
  const params: Parameters = file ? await fromFile(resolve(opts.cwd, file), display(opts.cwd, file)) : {};
  // Sorted, so that the order of added parameters does not depend on the environment's order.
  for (const key of Object.keys(opts.env).sort()) {
    if (!key.startsWith(ENV_PREFIX)) continue;
    const name = key.slice(ENV_PREFIX.length);
    checkName(name, { field: key }, ` in environment variable ${key}`);
    params[name] = { kind: 'json', value: parseEnvValue(opts.env[key] ?? '') };
  }
  return params;
}

/**
 * The rules of graph/rules.ts: an identifier; not `__proto__` (it would replace the prototype of
 * the parameters object rather than add a key); not an env var that changes how programs run.
 */
export function checkName(name: string, where: ErrorLocation, origin = ''): void {
  const why = parameterNameProblem(name);
  if (why) throw new RunnableError('E_PARAMS', `invalid parameter name '${name}'${origin}: ${why}`, where);
}

/** The file as the user would recognise it: relative to the working directory when inside it. */
function display(cwd: string, file: string): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

async function fromFile(path: string, file: string): Promise<Parameters> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'it is a directory' : err.message;
    throw new RunnableError('E_PARAMS', `cannot read parameters file: ${why}`, { file });
  }
  const lines = new LineCounter();
  // `merge`: runnable users share values between keys with anchors and `<<` merge keys.
  const doc = parseDocument(text, { lineCounter: lines, merge: true, prettyErrors: false });
  const error = doc.errors[0];
  if (error) {
    const line = lines.linePos(error.pos[0]).line;
    throw new RunnableError('E_PARAMS', `invalid YAML: ${error.message.split('\n')[0]}`, { file, line });
  }
  const cycle = aliasCycle(doc);
  if (cycle) throw new RunnableError('E_PARAMS', cycle.message, { file, line: cycle.offset === undefined ? undefined : lines.linePos(cycle.offset).line });
  const contents = doc.contents;
  // An empty file (or one holding only comments) means no parameters, not an error.
  if (contents === null || (isScalar(contents) && contents.value === null)) return {};
  if (!isMap(contents)) {
    const found = isScalar(contents) ? 'a single value' : 'a list';
    throw new RunnableError('E_PARAMS', `the top level of a parameters file must be a mapping of names to values, found ${found}`, {
      file,
      line: lineOf(lines, contents),
    });
  }
  // Values come from the whole mapping, so that `<<` merge keys contribute their keys; lines
  // come from the pairs written in the file (a merged key reports the line of its `<<`).
  const lineOfKey = new Map<string, number | undefined>();
  let mergeLine: number | undefined;
  for (const pair of contents.items) {
    const key = pair.key as Node | null;
    const line = lineOf(lines, key ?? contents);
    if (isScalar(key) && typeof key.value === 'symbol') mergeLine ??= line; // the `<<` merge key
    else lineOfKey.set(isScalar(key) ? String(key.value) : String(key), line);
  }
  let values: Record<string, unknown>;
  try {
    values = doc.toJS({ maxAliasCount: 10_000 }) as Record<string, unknown>;
  } catch (e) {
    // e.g. aliases expanding exponentially ("billion laughs")
    throw new RunnableError('E_PARAMS', `invalid YAML: ${(e as Error).message}`, { file });
  }
  const params: Parameters = {};
  for (const [name, value] of Object.entries(values)) {
    const line = lineOfKey.has(name) ? lineOfKey.get(name) : mergeLine;
    checkName(name, { file, line, field: name });
    assertJson(value, name, { file, line, field: name });
    params[name] = { kind: 'json', value };
  }
  return params;
}

const lineOf = (lines: LineCounter, node: Node): number | undefined => (node.range ? lines.linePos(node.range[0]).line : undefined);

/**
 * `json` parameters must survive JSON: YAML's `.inf`/`.nan` (and any non-plain value a custom
 * tag might produce) would silently become `null` on the way to a task.
 */
function assertJson(value: unknown, name: string, where: ErrorLocation): void {
  const bad = jsonValueProblem(value, name);
  if (bad) throw new RunnableError('E_PARAMS', `parameter '${name}' is not a JSON value (${bad})`, where);
}
