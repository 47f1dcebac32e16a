/**
 * The command line's log level (views/log-level.ts), set once from the global options before a
 * command runs, and the CLI's own informational lines and warnings, shown or not by it.
 */
import { shows, type LogLevel } from '../views/log-level.js';
import { printable } from '../util/printable.js';

let level: LogLevel = 'info';

export function setCliLevel(l: LogLevel): void {
  level = l;
}

export function cliLevel(): LogLevel {
  return level;
}

/** `runnable: <line>` on stderr when the level shows `what` (default: info). */
export function say(line: string, what: LogLevel = 'info'): void {
  if (shows(level, what)) process.stderr.write(`runnable: ${printable(line)}\n`);
}

/** `runnable: warning: <line>`, from `--log-level warning` up. */
export function warn(line: string): void {
  say(`warning: ${line}`, 'warning');
}
