/**
 * How parameters cross the environment (RUNNABLE_PRM_*, shell tasks' env vars and returns).
 *
 * Non-string values go out as JSON spaced like Python's `json.dumps` (`{"x": 10, "foo": "bar"}`,
 * `[1, 2, 3]`): runnable's own shell steps compare parameters against that text, so its
 * pipelines run unchanged; any JSON parser reads it back the same.
 */

/** A string from the environment as a parameter value: JSON when it parses as JSON, else the string itself. */
export function parseEnvValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The inverse, for handing a parameter to a process as an env var: strings as is, the rest as spaced JSON. */
export function toEnvValue(value: unknown): string {
  if (typeof value === 'string') return value;
  const json = JSON.stringify(value);
  // undefined, functions and symbols have no JSON text; JSON.stringify's own answer is kept
  return json === undefined ? String(json) : spacedJSON(JSON.parse(json));
}

/** `value` is plain JSON data here (parsed back from JSON.stringify, so toJSON and undefined are settled). */
function spacedJSON(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(spacedJSON).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${spacedJSON(v)}`).join(', ')}}`;
  }
  return JSON.stringify(value);
}
