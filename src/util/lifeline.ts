/**
 * Step processes die with their runner. Node has no prctl(PR_SET_PDEATHSIG), so a process is
 * tied to this one by a pipe instead: `tied(file, args)` runs it through a few constant lines of
 * bash that start a watcher, then `exec` the program (same pid, so signals, exit status and
 * process group are the program's own). The watcher holds the read end of a pipe whose write
 * end only this process has (an extra stdio entry, close-on-exec here). This process writes a
 * line on it when the program has ended (`release`): the watcher exits quietly. If this process
 * dies first — SIGKILL, a crash, SIGHUP of a closed terminal — the kernel closes the write end,
 * the watcher reads EOF and sends SIGTERM to the program's process group (or the program, if it
 * leads none), then SIGKILL to what is left once the program ended or a grace period passed. The watcher ignores SIGTERM itself, and its
 * stdio is /dev/null, so it never holds the program's output pipes open.
 *
 * The pipe's number and the program come in as arguments: no value is ever put in the text.
 */
import type { ChildProcess, IOType } from 'node:child_process';
import type { Writable } from 'node:stream';

/** seconds between the watcher's SIGTERM and its SIGKILL */
const GRACE_SECONDS = 5;

const WATCH = [
  'fd=$1; shift',
  '( trap "" TERM; exec 0</dev/null 1>/dev/null 2>/dev/null',
  '  if read -r -u "$fd" _; then exit 0; fi',
  // the program leads its process group (spawned detached): the whole group; else the program alone
  '  kill -TERM -- -$$ 2>/dev/null || kill -TERM $$ 2>/dev/null; n=0',
  `  while [ $n -lt ${GRACE_SECONDS * 10} ] && kill -0 $$ 2>/dev/null; do sleep 0.1; n=$((n + 1)); done`,
  // what is left of the group once the program ended (or after the grace period) is killed
  '  kill -KILL -- -$$ 2>/dev/null || kill -KILL $$ 2>/dev/null',
  ') &',
  'exec {fd}<&-',
  'exec "$@"',
].join('\n');

/**
 * The spawn arguments that run `file args` tied to this process: pass `file`, `args` and
 * `stdio` to `spawn` as given, then `lifelineOf(child, stdio)`.
 */
export function tied(file: string, args: string[], stdio: readonly IOType[]): { file: string; args: string[]; stdio: IOType[] } {
  return { file: 'bash', args: ['-c', WATCH, 'runnable-lifeline', String(stdio.length), file, ...args], stdio: [...stdio, 'pipe'] };
}

/**
 * The lifeline of a child spawned with `tied`: call `release()` once the program has exited (or
 * could not start), so that the watcher exits without killing anything.
 */
export function lifelineOf(child: ChildProcess, stdio: readonly IOType[]): { release(): void } {
  const pipe = child.stdio[stdio.length] as Writable | null;
  pipe?.on('error', () => undefined); // EPIPE: the watcher is already gone
  let done = false;
  return {
    release() {
      if (done || !pipe) return;
      done = true;
      pipe.end('ended\n');
    },
  };
}
