/**
 * A secret reaches only the steps that declare it (`secrets: [API_TOKEN]`). With `env-secrets`
 * the values are env vars of the runner itself, which every step process would inherit, so the
 * runner records the names every step of the pipeline declares (`hideSecrets`, when the pipeline
 * is checked) and every place that starts a step's process starts from `inheritedEnv()`: this
 * process's environment without them. The step's own secrets are then added by name (task env,
 * launchers). `process.env` itself is left as it is: a program embedding the library keeps its
 * environment.
 */
const hidden = new Set<string>();

/** The secrets of a pipeline about to run: from now on no step inherits them. */
export function hideSecrets(names: Iterable<string>): void {
  for (const name of names) hidden.add(name);
}

export const isHiddenSecret = (name: string): boolean => hidden.has(name);

/** `env` (default: this process's) without the pipeline's secrets: what a step's process starts from. */
export function inheritedEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  for (const name of hidden) delete out[name];
  return out;
}

/**
 * The forms a secret's value takes in text a step may write, each masked: as is, JSON-escaped
 * (`json.dumps`, `JSON.stringify`, a notebook's JSON) and as Python's `repr` writes it inside
 * either quote. Forms shorter than the value itself add nothing and are left out.
 */
export function secretForms(value: string): string[] {
  if (!value) return [];
  const forms = new Set<string>([value, JSON.stringify(value).slice(1, -1), pythonReprBody(value, "'"), pythonReprBody(value, '"')]);
  return [...forms];
}

/** What Python's repr() puts between its quotes for a str (printable non-ASCII kept, as Python 3 does). */
function pythonReprBody(value: string, quote: "'" | '"'): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

/** The values of the secrets a step declares, by name: what its process gets on top of `inheritedEnv()`. */
export async function declaredSecrets(store: { get(name: string): Promise<string> }, node: { type: string; secrets?: readonly string[] }): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  if (node.type === 'task') for (const name of node.secrets ?? []) out[name] = await store.get(name);
  return out;
}
