/**
 * The field checks the YAML schema makes, made on builder arguments, so that a mistake in an
 * SDK pipeline is a RunnableError thrown where the pipeline is built, with the same wording.
 */
import { RunnableError } from '../errors.js';
import { IDENTIFIER_RE, NAME_RE, parameterNameProblem } from '../graph/rules.js';

export function schemaError(message: string, step: string | undefined, field?: string): RunnableError {
  return new RunnableError('E_SCHEMA', message, { step, field });
}

const show = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : v === undefined ? 'nothing' : (JSON.stringify(v) ?? String(v)));

/** A step name or branch key: a non-empty string without '.' (names form dot paths). */
export function checkName(name: unknown, what: 'step name' | 'branch name', step?: string): string {
  if (typeof name !== 'string' || name === '') throw schemaError(`${what} must be a non-empty string, got ${show(name)}`, step, 'name');
  if (!NAME_RE.test(name)) throw schemaError(`${what} '${name}' must not contain '.' (names form dot paths)`, step ?? name, 'name');
  return name;
}

/** A parameter name: letters, digits and _, not starting with a digit. */
export function checkIdentifier(value: unknown, step: string, field: string): string {
  if (typeof value !== 'string' || !IDENTIFIER_RE.test(value)) {
    const missing = value === undefined || value === '';
    throw schemaError(
      missing ? `missing required option '${field}'` : `${show(value)} is not a valid name (letters, digits and _, not starting with a digit)`,
      step,
      field,
    );
  }
  const problem = parameterNameProblem(value);
  if (problem) throw schemaError(problem, step, field);
  return value;
}

export function checkPositiveInt(value: unknown, step: string, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw schemaError(`${field} must be an integer of at least 1, got ${show(value)}`, step, field);
  }
  return value;
}

/** A finite number of at least `min` (the YAML schema's bounds for the same field). */
export function checkAtLeast(value: unknown, min: number, step: string, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw schemaError(`${field} must be a number of at least ${min}, got ${show(value)}`, step, field);
  }
  return value;
}

export function checkStrings(value: unknown, step: string, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v === '')) {
    throw schemaError(`${field} must be a list of non-empty strings, got ${show(value)}`, step, field);
  }
  return [...(value as string[])];
}

export function checkOverrides(value: unknown, step: string): Record<string, string> {
  if (value === undefined) return {};
  const ok = typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
  if (!ok) throw schemaError(`overrides must map executor types to names of their override entries, got ${show(value)}`, step, 'overrides');
  return { ...(value as Record<string, string>) };
}
