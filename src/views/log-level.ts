/**
 * How much a run tells the person watching it (`--log-level`, `--quiet`, `--verbose`; the SDK's
 * `execute({logLevel})`). The levels are runnable's (Python logging's names; FATAL and CRITICAL
 * read as ERROR):
 * - `error`: nothing but errors and, when a run fails, its summary (failed steps, retry command);
 * - `warning` (`--quiet`): those, and warnings (what the checks before a run could not be sure of);
 * - `info`, the default: progress, a line per step, the closing summary, what a command wrote;
 * - `debug` (`--verbose`): also what the runner decided and started (the resolved configuration,
 *   each command a launcher runs) and the stack of an internal error.
 * The steps' own output is not logging: it is shown at every level.
 */
export const LOG_LEVELS = ['error', 'warning', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const ALIASES: Record<string, LogLevel> = { warn: 'warning', fatal: 'error', critical: 'error' };

/** The level a `--log-level` value names (any case), or undefined. */
export function parseLogLevel(text: string): LogLevel | undefined {
  const t = text.trim().toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(t) ? (t as LogLevel) : ALIASES[t];
}

/** Whether a message of level `what` is shown at level `level`. */
export function shows(level: LogLevel, what: LogLevel): boolean {
  return LOG_LEVELS.indexOf(what) <= LOG_LEVELS.indexOf(level);
}
