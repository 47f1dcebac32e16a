/** Errors at the CLI boundary: user errors are one line and exit 2; anything else is a bug. */
import { isRunnableError } from '../errors.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

export function reportError(err: unknown): number {
  if (isRunnableError(err)) {
    process.stderr.write(`runnable: ${err.format()}\n`);
    return EXIT_BAD_INPUT;
  }
  process.stderr.write(`runnable: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return EXIT_FAILED;
}
