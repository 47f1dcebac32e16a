/**
 * The shape a stored RunLog must have before anything reads it: a file in the run-log folder may
 * be damaged, hand-edited or not a run log at all (`{"run_id": 5}`), and `runs show`, `retry`
 * and `runs diff` must say so in one line instead of crashing on a missing field. Loose: fields
 * this version does not know are kept.
 *
 * Checked by hand, not with a zod schema: the check only reads (a schema's parse copies every
 * object of the document), and a 10,000-step run log is read by every `runs show` and
 * `timeline`: zod took half a second of the two a report of one took.
 */
import type { RunLog } from './types.js';

type Path = (string | number)[];
/** the first problem found, as `steps.train.attempts: expected array, received object` */
type Problem = string | undefined;

const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** the message names types, never the values (they may hold anything) */
const wrong = (path: Path, want: string, v: unknown): string => `${path.length ? path.join('.') : 'the top level'}: expected ${want}, received ${kindOf(v)}`;

function scalar(o: Record<string, unknown>, key: string, want: 'string' | 'number', path: Path): Problem {
  const v = o[key];
  return typeof v === want ? undefined : wrong([...path, key], want, v);
}

function objectAt(v: unknown, path: Path): Problem {
  return isObject(v) ? undefined : wrong(path, 'object', v);
}

/** a record of `check`ed values */
function record(v: unknown, path: Path, check: (item: Record<string, unknown>, path: Path) => Problem): Problem {
  if (!isObject(v)) return wrong(path, 'record', v);
  for (const key in v) {
    const item = v[key];
    const at = [...path, key];
    const problem = objectAt(item, at) ?? check(item as Record<string, unknown>, at);
    if (problem) return problem;
  }
  return undefined;
}

function list(v: unknown, path: Path, check: (item: Record<string, unknown>, path: Path) => Problem): Problem {
  if (!Array.isArray(v)) return wrong(path, 'array', v);
  for (let i = 0; i < v.length; i++) {
    const at = [...path, i];
    const problem = objectAt(v[i], at) ?? check(v[i] as Record<string, unknown>, at);
    if (problem) return problem;
  }
  return undefined;
}

const param = (p: Record<string, unknown>, path: Path): Problem => scalar(p, 'kind', 'string', path);
const params = (v: unknown, path: Path): Problem => record(v, path, param);
const optionalParams = (o: Record<string, unknown>, key: string, path: Path): Problem => (o[key] === undefined ? undefined : params(o[key], [...path, key]));

function attempt(a: Record<string, unknown>, path: Path): Problem {
  return (
    scalar(a, 'attempt_number', 'number', path) ??
    scalar(a, 'start_time', 'string', path) ??
    scalar(a, 'status', 'string', path) ??
    optionalParams(a, 'input_parameters', path) ??
    optionalParams(a, 'output_parameters', path) ??
    optionalParams(a, 'user_defined_metrics', path)
  );
}

function catalogItem(c: Record<string, unknown>, path: Path): Problem {
  return scalar(c, 'name', 'string', path) ?? scalar(c, 'data_hash', 'string', path) ?? scalar(c, 'stage', 'string', path);
}

function jobLog(j: Record<string, unknown>, path: Path): Problem {
  return scalar(j, 'status', 'string', path) ?? list(j.attempts, [...path, 'attempts'], attempt) ?? list(j.data_catalog, [...path, 'data_catalog'], catalogItem);
}

function branch(b: Record<string, unknown>, path: Path): Problem {
  return (
    scalar(b, 'internal_name', 'string', path) ??
    scalar(b, 'status', 'string', path) ??
    params(b.parameters, [...path, 'parameters']) ??
    record(b.steps, [...path, 'steps'], step)
  );
}

function step(s: Record<string, unknown>, path: Path): Problem {
  return jobLog(s, path) ?? scalar(s, 'name', 'string', path) ?? scalar(s, 'internal_name', 'string', path) ?? record(s.branches, [...path, 'branches'], branch);
}

/** `value` as a RunLog, or the first field that is wrong (`steps.train.attempts: expected array, received object`). */
export function checkRunLogShape(value: unknown): { log: RunLog } | { problem: string } {
  if (!isObject(value)) return { problem: wrong([], 'object', value) };
  const problem =
    scalar(value, 'run_id', 'string', []) ??
    scalar(value, 'status', 'string', []) ??
    record(value.steps, ['steps'], step) ??
    params(value.parameters, ['parameters']) ??
    (value.job === undefined ? undefined : (objectAt(value.job, ['job']) ?? jobLog(value.job as Record<string, unknown>, ['job'])));
  return problem ? { problem } : { log: value as unknown as RunLog };
}
