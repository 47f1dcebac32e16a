/** Naming rules and the closed vocabularies of the pipeline model, shared by the YAML loader and the SDK. */
import type { CommandType, ParameterKind } from './model.js';

/** parameter names, `returns`, `iterate_as`, `index_as`: identifiers every task language can bind */
export const IDENTIFIER_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** step names and branch keys become segments of dot paths */
export const NAME_RE = /^[^.]+$/;

export const STEP_TYPES = ['task', 'stub', 'success', 'fail', 'parallel', 'map', 'conditional', 'loop'] as const;
export const COMMAND_TYPES = ['typescript', 'shell', 'notebook', 'python'] as const satisfies readonly CommandType[];
export const PARAMETER_KINDS = ['json', 'object', 'metric'] as const satisfies readonly ParameterKind[];
