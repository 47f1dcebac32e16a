/**
 * What V8 knows about a function object, read through an in-process `node:inspector` session:
 * where it was defined (`[[FunctionLocation]]` -> script id -> script URL and source) and the
 * names it is bound to in the scopes around it (`[[Scopes]]`), compared by identity.
 *
 * An in-process session answers synchronously, so all of this runs inside the synchronous
 * `pipeline(...)` call. The session is opened on the first function step and kept. The Debugger
 * domain (the only way to map script ids to URLs and sources) is enabled only while a script
 * not seen before is read, then disabled again: enabling replays every loaded script (the cost
 * of a first look-up), and a debugger left enabled would pause the thread on a `debugger`
 * statement with nobody to resume it.
 */
import { createRequire } from 'node:module';
import type { Session } from 'node:inspector';
import { RunnableError } from '../errors.js';

interface RemoteObject {
  type: string;
  subtype?: string;
  objectId?: string;
  description?: string;
  value?: unknown;
}
interface PropertyDescriptor {
  name: string;
  value?: RemoteObject;
}
interface Properties {
  result: PropertyDescriptor[];
  internalProperties?: PropertyDescriptor[];
}
interface CodeLocation {
  scriptId: string;
  lineNumber: number;
  columnNumber: number;
}

export interface FunctionFacts extends CodeLocation {
  /** names bound to this very function in the scopes enclosing its definition */
  boundAs: string[];
}

export interface ScriptFacts {
  /** '' for code evaluated at run time */
  url: string;
  /** the source V8 compiled (after any TS or test-runner transform) */
  source: string;
}

const GROUP = 'runnable-ts-sdk';
const SLOT = 'runnable-ts.sdk.locate';
/** scopes that are not a module's own: globals and the global lexical scope */
const OUTER_SCOPES = new Set(['Global', 'Script', 'With']);

let session: Session | undefined;
const scriptUrls = new Map<string, string>();

function connect(): Session {
  if (session) return session;
  let inspector: typeof import('node:inspector');
  try {
    // required here, not imported: a Node built without the inspector can still build pipelines of commands
    inspector = createRequire(import.meta.url)('node:inspector') as typeof import('node:inspector');
  } catch {
    throw new RunnableError('E_COMMAND', 'locating a function step needs node:inspector, which this Node.js lacks: use a command string instead');
  }
  const s = new inspector.Session();
  s.connect();
  s.on('Debugger.scriptParsed', (m) => scriptUrls.set(m.params.scriptId, m.params.url));
  session = s;
  return s;
}

function post<T>(method: string, params: object = {}): T {
  let answered = false;
  let error: Error | null = null;
  let result: unknown;
  connect().post(method, params, (err, res) => {
    answered = true;
    error = err;
    result = res;
  });
  if (!answered) throw new Error(`inspector: ${method} did not answer synchronously`);
  if (error) throw error;
  return result as T;
}

function internalsOf(objectId: string): Record<string, RemoteObject | undefined> {
  const props = post<Properties>('Runtime.getProperties', { objectId, ownProperties: true, objectGroup: GROUP });
  return Object.fromEntries((props.internalProperties ?? []).map((p) => [p.name, p.value]));
}

/** Location and bindings of `fn`; undefined for a built-in (no source location). */
export function inspectFunction(fn: object): FunctionFacts | undefined {
  const slot = globalThis as unknown as Record<symbol, unknown>;
  const key = Symbol.for(SLOT);
  slot[key] = fn;
  try {
    const expression = `globalThis[Symbol.for(${JSON.stringify(SLOT)})]`;
    const { objectId: fnId, description } = post<{ result: RemoteObject }>('Runtime.evaluate', { expression, objectGroup: GROUP }).result;
    if (!fnId) return undefined;
    let internals = internalsOf(fnId);
    // A bound function has no location of its own: use its target's, but match bindings of `fn`.
    for (let depth = 0; internals['[[TargetFunction]]']?.objectId && depth < 10; depth++) {
      internals = internalsOf(internals['[[TargetFunction]]'].objectId);
    }
    const location = internals['[[FunctionLocation]]']?.value as CodeLocation | undefined;
    if (!location) return undefined;
    const scopes = internals['[[Scopes]]']?.objectId;
    return { ...location, boundAs: scopes ? namesBoundTo(fnId, description, scopes) : [] };
  } finally {
    delete slot[key];
    post('Runtime.releaseObjectGroup', { objectGroup: GROUP });
  }
}

/** `description` (the function's source text) rules out most bindings without a round trip. */
function namesBoundTo(fnId: string, description: string | undefined, scopesId: string): string[] {
  const names: string[] = [];
  const scopes = post<Properties>('Runtime.getProperties', { objectId: scopesId, ownProperties: true, objectGroup: GROUP }).result;
  for (const scope of scopes) {
    const kind = (scope.value?.description ?? '').split(' ')[0]!;
    if (!scope.value?.objectId || OUTER_SCOPES.has(kind)) continue;
    const vars = post<Properties>('Runtime.getProperties', { objectId: scope.value.objectId, ownProperties: true, objectGroup: GROUP }).result;
    for (const v of vars) {
      if (v.value?.type !== 'function' || !v.value.objectId || v.value.description !== description) continue;
      if (isSame(v.value.objectId, fnId)) names.push(v.name);
    }
  }
  return names;
}

function isSame(a: string, b: string): boolean {
  const r = post<{ result: RemoteObject }>('Runtime.callFunctionOn', {
    objectId: a,
    functionDeclaration: 'function (other) { return this === other; }',
    arguments: [{ objectId: b }],
    returnByValue: true,
    objectGroup: GROUP,
  });
  return r.result.value === true;
}

/** URL and compiled source of a script, with the Debugger domain on only for the duration. */
export function inspectScript(scriptId: string): ScriptFacts {
  post('Debugger.enable');
  try {
    const { scriptSource } = post<{ scriptSource: string }>('Debugger.getScriptSource', { scriptId });
    return { url: scriptUrls.get(scriptId) ?? '', source: scriptSource };
  } finally {
    post('Debugger.disable');
  }
}
