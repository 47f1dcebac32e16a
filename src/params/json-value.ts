/**
 * What a `json` (or `metric`) parameter may hold: a value that JSON carries unchanged, small and
 * shallow enough for the run log and for every task language to read back. Checked where a value
 * becomes a parameter (the parameters file, a task's returns, a reducer's result), so that a bad
 * value fails its step with a message naming where it is, instead of crashing the run-log write
 * (`JSON.stringify` throws on cycles, BigInt, throwing getters/toJSON, and overflows the stack on
 * deep nesting) or changing silently (NaN → null, undefined dropped, Date → string).
 *
 * The walk is iterative, so that a 20,000-deep array is reported, not a stack overflow.
 */

/** Python's json module gives up near 1,000 levels; a value every task language can read stays well below. */
export const MAX_JSON_DEPTH = 500;
/** A json parameter is stored in the run log; anything larger belongs in the catalog (`kind: object`). */
export const MAX_JSON_BYTES = 16 * 1024 * 1024;

const MB = 1024 * 1024;

/** Why `value` is not a json parameter value (`path` names it in the message), or undefined when it is one. */
export function jsonValueProblem(value: unknown, path: string): string | undefined {
  try {
    return walk(value, path);
  } catch (e) {
    // a revoked Proxy, a getter that throws while its keys are listed, ...
    return `${path} cannot be read (${e instanceof Error ? e.message : String(e)})`;
  }
}

/** A returned value's problem as Python steps word it (src/tasks/python/_runnable_common.py): where it breaks, and the way out. */
export function returnedValueProblem(name: string, value: unknown): string | undefined {
  const problem = jsonValueProblem(value, name);
  return problem && `returned '${name}' is not a JSON value (${problem}); declare it as {name: ${name}, kind: object}`;
}

type Frame = { value: unknown; path: string; depth: number } | { leave: object };

function walk(root: unknown, rootPath: string): string | undefined {
  const stack: Frame[] = [{ value: root, path: rootPath, depth: 0 }];
  const open = new Map<object, string>(); // objects on the path from the root: a cycle returns to one
  let bytes = 0;
  while (stack.length) {
    const frame = stack.pop()!;
    if ('leave' in frame) {
      open.delete(frame.leave);
      continue;
    }
    const { value, path, depth } = frame;
    if (value === null || typeof value === 'boolean') {
      bytes += 5;
    } else if (typeof value === 'string') {
      bytes += value.length + 2;
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) return `${path} is ${value} (JSON has no ${value}; it would become null)`;
      bytes += 8;
    } else if (typeof value === 'object') {
      if (depth >= MAX_JSON_DEPTH) return `${path} is nested deeper than ${MAX_JSON_DEPTH} levels`;
      const back = open.get(value);
      if (back !== undefined) return `${path} refers back to ${back} (a cycle)`;
      const isArray = Array.isArray(value);
      const proto = Object.getPrototypeOf(value);
      if (!isArray && proto !== Object.prototype && proto !== null) return `${path} is a ${proto?.constructor?.name ?? 'object'}, not plain data`;
      open.set(value, path);
      stack.push({ leave: value });
      if (isArray) {
        const list = value as unknown[];
        for (let i = list.length - 1; i >= 0; i--) stack.push({ value: list[i], path: `${path}[${i}]`, depth: depth + 1 });
        bytes += list.length + 2;
      } else {
        const keys = Object.keys(value);
        for (let i = keys.length - 1; i >= 0; i--) {
          const key = keys[i]!;
          let child: unknown;
          try {
            child = (value as Record<string, unknown>)[key];
          } catch (e) {
            return `reading ${path}.${key} threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
          }
          stack.push({ value: child, path: `${path}.${key}`, depth: depth + 1 });
          bytes += key.length + 4;
        }
      }
    } else {
      // undefined, bigint, symbol, function: JSON drops them, throws, or turns them into null
      return `${path} is ${value === undefined ? 'undefined' : `a ${typeof value}`}`;
    }
    if (bytes > MAX_JSON_BYTES) return `${rootPath} is more than ${MAX_JSON_BYTES / MB} MB as JSON`;
  }
  return undefined;
}
