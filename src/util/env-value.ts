/**
 * How a string from the environment becomes a parameter value (RUNNABLE_PRM_*, shell returns):
 * JSON when it parses as JSON, else the string itself.
 */
export function parseEnvValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The inverse, for handing a parameter to a process as an env var: strings as is, the rest as JSON. */
export function toEnvValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
