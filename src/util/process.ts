/**
 * Who a process is, in a form another process can check later: pid, host and the process's
 * start time. A pid alone is not enough (pids are reused), so a holder is alive only if a
 * process with its pid exists on its host and started when it did.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export interface ProcessIdentity {
  pid: number;
  host: string;
  /** the process's start time as the OS gives it (Linux: /proc/<pid>/stat `starttime`); '' where unknown */
  process_start: string;
}

/**
 * The fields of /proc/<pid>/stat after the command name (field 3, the state, first; see
 * proc(5)), or undefined if there is no such process. The name is in parentheses and may hold
 * spaces, so fields count from the last ')'.
 */
export function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The start time of `pid` (clock ticks since boot, Linux), '' where /proc is not there, undefined if no such (live) process. */
export function processStart(pid: number): string | undefined {
  const fields = procStat(pid);
  if (!fields) {
    // no /proc at all (macOS): only the pid can be checked
    if (procStat(process.pid)) return undefined;
    return pidExists(pid) ? '' : undefined;
  }
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined; // dead, not yet reaped
  return fields[19] ?? '';
}

export function thisProcess(): ProcessIdentity {
  return { pid: process.pid, host: hostname(), process_start: processStart(process.pid) ?? '' };
}

/**
 * true unless the process is known to be gone: on this host, no process with its pid, or one
 * that started at another time (the pid was reused). A process on another host cannot be
 * checked from here: it counts as alive.
 */
export function isAlive(who: ProcessIdentity): boolean {
  if (who.host !== hostname()) return true;
  const start = processStart(who.pid);
  if (start === undefined) return false;
  return !who.process_start || !start || start === who.process_start;
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
