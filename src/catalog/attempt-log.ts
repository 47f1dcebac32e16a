/**
 * Where a task attempt's stdout and stderr are kept in its run's catalog (nodes/task.ts writes
 * them; the run summary and `runs show` point at them).
 */
import { capLength, safeSegment } from '../util/file-name.js';

/**
 * `.logs/<internal name>.attempt-<n>.log`: the name as it is when it is a plain, short file name
 * (as runnable names it), else made safe and cut with a hash so it always fits.
 */
export function attemptLogPath(internalName: string, attempt: number): string {
  const plain = !/[/\\\0%]/.test(internalName) && !internalName.startsWith('.');
  const name = plain ? capLength(internalName, internalName) : safeSegment(internalName);
  return `.logs/${name}.attempt-${attempt}.log`;
}
