/**
 * The one user-facing error class. Anything the user can fix (a bad pipeline, config,
 * parameter file, run id) is a RunnableError; the CLI prints it on one line and exits 2. A run
 * that ran and failed is one too when the SDK's `execute()` reports it (`E_RUN_FAILED`, with
 * the run id: sdk/errors.ts), exit 1.
 * Anything else is a bug and keeps its stack.
 */
export type ErrorCode =
  | 'E_FILE' // unreadable or unparsable file
  | 'E_SCHEMA' // a field is missing, unknown or of the wrong type
  | 'E_GRAPH' // the steps do not form a valid graph
  | 'E_CONFIG' // bad configuration file or section
  | 'E_PARAMS' // bad parameters file or RUNNABLE_PRM_ value
  | 'E_RUN_ID' // run id invalid, already used or unknown
  | 'E_COMMAND' // a task command that cannot be resolved (missing module/export)
  | 'E_CATALOG' // a catalog path that escapes its folder
  | 'E_STORE' // a remote store (S3) that cannot be reached, or refuses a request
  | 'E_KUBERNETES' // the Kubernetes API server could not be reached or refused a request
  | 'E_RUN_BUSY' // the run (or step) is being driven by another live process
  | 'E_RUN_FAILED' // the run ran and did not succeed (the SDK's execute(); the CLI's exit 1)
  | 'E_USAGE'; // bad command-line usage

export interface ErrorLocation {
  /** the file at fault, relative to the working directory when possible */
  file?: string;
  /** the step, by its dot path (`map_step.branch.inner`) */
  step?: string;
  /** the field inside the step or section */
  field?: string;
  /** 1-based line in `file`, when known */
  line?: number;
}

const RUNNABLE_ERROR_BRAND = Symbol.for('runnable-ts.error');

export class RunnableError extends Error {
  override readonly name: string = 'RunnableError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly where: ErrorLocation = {},
  ) {
    super(message);
    Object.defineProperty(this, RUNNABLE_ERROR_BRAND, { value: true });
  }

  /**
   * Also true of a RunnableError made by another copy of this module: the bundled command line
   * (dist/bundle) and the library a user's pipeline module imports (dist/index.js) are two.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[RUNNABLE_ERROR_BRAND] === true;
  }

  /** `pipeline.yaml:12: step 'train', field 'next': unknown step 'tran'` */
  format(): string {
    const { file, line, step, field } = this.where;
    const head = file ? `${file}${line ? `:${line}` : ''}: ` : '';
    const parts: string[] = [];
    if (step) parts.push(`step '${step}'`);
    if (field) parts.push(`field '${field}'`);
    const loc = parts.length ? `${parts.join(', ')}: ` : '';
    return `${head}${loc}${this.message}`;
  }
}

/**
 * Several problems found at once (the checks before a run collect them all): the CLI prints each
 * on its own line; as one error it reads as the first, with how many more there are.
 */
export class RunnableErrors extends RunnableError {
  constructor(readonly problems: readonly RunnableError[]) {
    const first = problems[0]!;
    super(first.code, `${first.message} (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})`, first.where);
  }
}

/** Throws the one problem as it is, several as RunnableErrors; nothing when there is none. */
export function throwProblems(problems: readonly RunnableError[]): void {
  if (problems.length === 1) throw problems[0];
  if (problems.length > 1) throw new RunnableErrors(problems);
}

export const isRunnableError = (e: unknown): e is RunnableError => e instanceof RunnableError;
