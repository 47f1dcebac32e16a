/**
 * What a task returns: plain names (kind json) or the kind helpers, as in runnable's SDK
 * (`json`, `pickled`, `metric`; here `object` for runnable's `pickled`).
 */
import type { CommandType, ReturnSpec } from '../graph/model.js';
import { returnProblem } from '../graph/command.js';
import { IDENTIFIER_RE, PARAMETER_KINDS, parameterNameProblem } from '../graph/rules.js';
import { schemaError } from './_checks.js';

/** A returned parameter: its name (kind json), or `json(name)` / `object(name)` / `metric(name)`. */
export type Returned = string | ReturnSpec;

/**
 * A JSON-serialisable returned value (the default kind).
 * @example task(split, { returns: [json('rows')] })
 */
export function json(name: string): ReturnSpec {
  return { name, kind: 'json' };
}

/**
 * Any value, serialised into the run's catalog; the run log records a reference. runnable's `pickled`.
 * @example task(train, { returns: [object('model')] })
 */
export function object(name: string): ReturnSpec {
  return { name, kind: 'object' };
}

/**
 * A JSON value that is also recorded in the step's `user_defined_metrics`.
 * @example task(evaluate, { returns: [metric('accuracy')] })
 */
export function metric(name: string): ReturnSpec {
  return { name, kind: 'metric' };
}

/** Checked `returns` of a task: valid, unique names; shell tasks return no objects. */
export function normaliseReturns(returns: readonly Returned[] | undefined, commandType: CommandType, step: string): ReturnSpec[] {
  if (returns === undefined) return [];
  if (!Array.isArray(returns)) throw schemaError(`returns must be a list of names or json()/object()/metric()`, step, 'returns');
  const out: ReturnSpec[] = [];
  returns.forEach((r: unknown, i) => {
    const field = `returns[${i}]`;
    const spec = typeof r === 'string' ? { name: r, kind: 'json' as const } : (r as ReturnSpec | null);
    if (!spec || typeof spec !== 'object' || typeof spec.name !== 'string') {
      throw schemaError(`expected a name or json()/object()/metric(), got ${JSON.stringify(r) ?? String(r)}`, step, field);
    }
    if (!IDENTIFIER_RE.test(spec.name)) {
      throw schemaError(`'${spec.name}' is not a valid name (letters, digits and _, not starting with a digit)`, step, field);
    }
    const problem = parameterNameProblem(spec.name);
    if (problem) throw schemaError(problem, step, field);
    if (!(PARAMETER_KINDS as readonly string[]).includes(spec.kind)) {
      throw schemaError(`kind must be one of ${PARAMETER_KINDS.join(', ')}; got '${String(spec.kind)}'`, step, `${field}.kind`);
    }
    if (out.some((s) => s.name === spec.name)) throw schemaError(`duplicate return name '${spec.name}'`, step, field);
    const kindProblem = returnProblem(commandType, spec.kind);
    if (kindProblem) throw schemaError(kindProblem, step, `${field}.kind`);
    out.push({ name: spec.name, kind: spec.kind });
  });
  return out;
}
