/**
 * Environment variables in config string values. Keys are never expanded: they are names the
 * code looks up.
 * - `${VAR}` must be set (else a clear error naming the field); `$${VAR}` is a literal `${VAR}`.
 * - `$VAR` (runnable's configs write it so) is replaced when VAR is set and left as it is
 *   otherwise, as Python's `os.path.expandvars` does: shell snippets in configs keep their own
 *   `$1` or `$HOME`-style text when nothing defines it here.
 */
import type { YamlPath } from '../yaml/yaml-file.js';

const VAR_RE = /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;
/** runnable (Python) reads config variables from RUNNABLE_VAR_<name>; honoured as a fallback. */
const RUNNABLE_PREFIX = 'RUNNABLE_VAR_';

export function expandVars(
  value: unknown,
  env: NodeJS.ProcessEnv,
  missing: (name: string, at: YamlPath) => never,
  at: YamlPath = [],
): unknown {
  if (typeof value === 'string') {
    return value.replace(VAR_RE, (whole, escaped: string | undefined, name: string | undefined, bare: string | undefined) => {
      if (bare !== undefined) return env[bare] ?? env[`${RUNNABLE_PREFIX}${bare}`] ?? whole;
      if (escaped) return `\${${name}}`;
      const v = env[name!] ?? env[`${RUNNABLE_PREFIX}${name}`];
      return v ?? missing(name!, at);
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => expandVars(v, env, missing, [...at, i]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandVars(v, env, missing, [...at, k])]));
  }
  return value;
}
