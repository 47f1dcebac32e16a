/**
 * Errors at the CLI boundary, the last resort for every command: whatever reaches here is
 * printed as one line, escaped (util/printable.ts), never as a stack trace.
 * - a RunnableError (bad input): its one line, exit 2 (several found at once: a line each);
 * - a system error (a full disk, a read-only folder, no permission): what failed on which path, exit 2;
 * - anything else is a bug: its name and message, exit 1; `--log-level debug` (or `RUNNABLE_DEBUG=1`) adds the stack.
 * Warnings are shown from `--log-level warning` up (./_level.ts).
 */
import { isRunnableError, type RunnableError } from '../errors.js';
import { cliLevel, warn } from './_level.js';
import { printable } from '../util/printable.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

/** What the machine, not the input or the code, got wrong: worth a plain sentence. */
const SYSTEM_ERRORS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large (a file-size limit?)',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EIO: 'input/output error',
  ENAMETOOLONG: 'file name too long',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many levels of symbolic links',
};

export function reportError(err: unknown): number {
  // several problems found at once (the checks before a run): one line each
  const problems = isRunnableError(err) ? (err as { problems?: unknown }).problems : undefined;
  if (Array.isArray(problems) && problems.length) return Math.max(...problems.map((p: unknown) => reportError(p)));
  const [line, code] = describeError(err);
  process.stderr.write(`runnable: ${printable(line)}\n`);
  if (code === EXIT_FAILED && (process.env.RUNNABLE_DEBUG || cliLevel() === 'debug') && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return code;
}

/** A problem that does not stop anything (the checks before a run), on its one line. */
export function reportWarning(err: RunnableError): void {
  warn(err.format());
}

/** The one line and the exit status for any thrown value. */
export function describeError(err: unknown): [string, number] {
  // a run that ran and failed (an SDK pipeline's execute() in a module): the run's status, not bad input
  if (isRunnableError(err)) return [err.format(), err.code === 'E_RUN_FAILED' ? EXIT_FAILED : EXIT_BAD_INPUT];
  const errno = err as NodeJS.ErrnoException | undefined;
  const what = errno?.code ? SYSTEM_ERRORS[errno.code] : undefined;
  if (what) {
    const target = errno!.path ? `${errno!.syscall ?? 'access'} ${errno!.path}` : (errno!.syscall ?? 'a file operation');
    return [`cannot ${target}: ${what} (${errno!.code})`, EXIT_BAD_INPUT];
  }
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return [`internal error: ${text.split('\n')[0]} (a bug in runnable-ts; --log-level debug shows where)`, EXIT_FAILED];
}
