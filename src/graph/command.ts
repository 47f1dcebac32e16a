/**
 * `command_type` inference and the shape each command type requires. Inference exists so that
 * runnable's YAML (python by default) and ours (typescript) both load without annotations;
 * shell is never inferred because almost any string is a valid shell command.
 */
import type { CommandType, ParameterKind } from '../graph/model.js';

// No whitespace: `node x.js` is a shell command, not a module path.
const TS_RE = /^[^\s:]+\.(?:ts|mts|js|mjs)(?::[A-Za-z_$][\w$]*)?$/;
const NOTEBOOK_RE = /^\S.*\.ipynb$/;
const PYTHON_RE = /^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$/;

export function inferCommandType(command: string): CommandType | undefined {
  const c = command.trim();
  if (TS_RE.test(c)) return 'typescript';
  if (NOTEBOOK_RE.test(c)) return 'notebook';
  if (PYTHON_RE.test(c)) return 'python';
  return undefined;
}

/** Why `command` cannot be of `type`, or undefined when it can. */
export function commandProblem(type: CommandType, command: string): string | undefined {
  const c = command.trim();
  switch (type) {
    case 'typescript':
      return TS_RE.test(c) ? undefined : `'${c}' is not PATH[:EXPORT] of a .ts/.mts/.js/.mjs module`;
    case 'notebook':
      return NOTEBOOK_RE.test(c) ? undefined : `'${c}' is not the path of a .ipynb notebook`;
    case 'python':
      return PYTHON_RE.test(c) ? undefined : `'${c}' is not a dotted name like package.module.function`;
    case 'shell':
      return undefined;
  }
}

/** Why a task of `type` cannot return a value of `kind`, or undefined when it can (a script returns env vars: text, never objects). */
export function returnProblem(type: CommandType, kind: ParameterKind): string | undefined {
  return type === 'shell' && kind === 'object' ? 'shell tasks return json or metric values, not objects' : undefined;
}
