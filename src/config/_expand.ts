/**
 * `${VAR}` in config string values, from the environment. Keys are never expanded: they are
 * names the code looks up. `$${VAR}` is a literal `${VAR}`; a bare `$VAR` is left alone, as
 * shell snippets in configs use it.
 */
import type { YamlPath } from '../yaml/yaml-file.js';

const VAR_RE = /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
/** runnable (Python) reads config variables from RUNNABLE_VAR_<name>; honoured as a fallback. */
const RUNNABLE_PREFIX = 'RUNNABLE_VAR_';

export function expandVars(
  value: unknown,
  env: NodeJS.ProcessEnv,
  missing: (name: string, at: YamlPath) => never,
  at: YamlPath = [],
): unknown {
  if (typeof value === 'string') {
    return value.replace(VAR_RE, (_m, escaped: string, name: string) => {
      if (escaped) return `\${${name}}`;
      const v = env[name] ?? env[`${RUNNABLE_PREFIX}${name}`];
      return v ?? missing(name, at);
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => expandVars(v, env, missing, [...at, i]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandVars(v, env, missing, [...at, k])]));
  }
  return value;
}
