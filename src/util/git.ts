/**
 * The code identity recorded in every step log (SPEC §5, runnable's `get_git_code_identity`):
 * the commit, whether the tree matches it, and where the code lives. Never throws: a run outside
 * a repository (or without git installed) is recorded as not dependable.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import type { CodeIdentity } from '../runlog/types.js';

const MAX_LISTED_PATHS = 20;
const MAX_MESSAGE_CHARS = 1_000;
const GIT_TIMEOUT_MS = 15_000;

const cache = new Map<string, Promise<CodeIdentity>>();

/** The identity of the code in `cwd`; computed once per directory per process (it is asked for by every step). */
export function codeIdentity(cwd: string): Promise<CodeIdentity> {
  const key = resolve(cwd);
  let found = cache.get(key);
  if (!found) {
    found = compute(key);
    cache.set(key, found);
  }
  return found;
}

/** For tests that change a repository between calls. */
export function clearCodeIdentityCache(): void {
  cache.clear();
}

/**
 * A driver hands the identity it found to the step processes it starts on this machine in the
 * same directory (emulate), which would otherwise each start the same three git processes. What
 * a run records is then the identity of its code when the run first asked, in every step, as a
 * `local` run (one process) records it: a file edited mid-run does not change later steps'
 * identity in either. The directory travels with it: a process in another directory (a step
 * that runs `runnable` elsewhere) computes its own.
 */
const HANDED = 'RUNNABLE_CODE_IDENTITY';

/** The environment that hands `identity`, found in `cwd`, to a step process. */
export function handedCodeIdentity(cwd: string, identity: CodeIdentity): Record<string, string> {
  return { [HANDED]: JSON.stringify({ cwd: resolve(cwd), identity }) };
}

/**
 * Takes the identity a driver handed to this process, if any, for its directory: called by the
 * step processes alone (`execute-single-node`, `fan`, `job-task`), never by a driver. The variable
 * is removed from `env`, so the step's own commands (and a `runnable` they start) never see it.
 * A value of another shape (set by hand, another version) is ignored: this process asks git.
 */
export function adoptHandedCodeIdentity(env: NodeJS.ProcessEnv = process.env): void {
  const text = env[HANDED];
  if (text === undefined) return;
  delete env[HANDED];
  let handed: { cwd?: unknown; identity?: unknown };
  try {
    handed = JSON.parse(text) as typeof handed;
  } catch {
    return;
  }
  if (typeof handed?.cwd === 'string' && isCodeIdentity(handed.identity)) cache.set(resolve(handed.cwd), Promise.resolve(handed.identity));
}

function isCodeIdentity(v: unknown): v is CodeIdentity {
  const c = v as Record<string, unknown> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.code_identifier === 'string' &&
    c.code_identifier_type === 'git' &&
    typeof c.code_identifier_dependable === 'boolean' &&
    typeof c.code_identifier_url === 'string' &&
    typeof c.code_identifier_message === 'string' &&
    Object.keys(c).length === 5
  );
}

interface GitResult {
  ok: boolean;
  stdout: string;
  stderr: string;
  /** the git binary itself could not be started */
  missing: boolean;
}

function git(cwd: string, args: string[]): Promise<GitResult> {
  return new Promise((done) => {
    execFile(
      'git',
      args,
      {
        cwd,
        timeout: GIT_TIMEOUT_MS,
        maxBuffer: 64 * 1024 * 1024,
        // C locale: stable messages; no optional locks: `git status` must not take index.lock
        // and collide with the user's own git commands while a run is going.
        env: { ...process.env, LC_ALL: 'C', GIT_OPTIONAL_LOCKS: '0' },
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        const code = (error as NodeJS.ErrnoException | null)?.code;
        done({ ok: !error, stdout: String(stdout), stderr: String(stderr), missing: code === 'ENOENT' });
      },
    );
  });
}

async function compute(cwd: string): Promise<CodeIdentity> {
  const [head, status, remote] = await Promise.all([
    git(cwd, ['rev-parse', '--verify', 'HEAD']),
    // Tracked changes only, as runnable does (`git diff --name-only`), but staged ones count too.
    // Untracked files are left out: the run itself creates `.run_log_store/` and `.catalog/`,
    // which would otherwise make every later run look dirty in a repo that does not ignore them.
    git(cwd, ['status', '--porcelain', '-z', '--untracked-files=no']),
    git(cwd, ['config', '--get', 'remote.origin.url']),
  ]);
  const identity: CodeIdentity = {
    code_identifier: '',
    code_identifier_type: 'git',
    code_identifier_dependable: false,
    code_identifier_url: '',
    code_identifier_message: '',
  };
  if (!head.ok) {
    const notRepo = head.missing || !status.ok || /not a git repository/i.test(head.stderr);
    identity.code_identifier_message = notRepo ? 'not a git repository' : 'the git repository has no commit yet';
    return identity;
  }
  identity.code_identifier = head.stdout.trim();
  identity.code_identifier_url = remote.ok ? withoutCredentials(remote.stdout.trim()) : '';
  const changed = status.ok ? changedPaths(status.stdout) : undefined;
  if (changed === undefined) {
    identity.code_identifier_message = `git status failed: ${firstLine(status.stderr)}`;
  } else if (changed.length) {
    identity.code_identifier_message = changesMessage(changed);
  } else {
    identity.code_identifier_dependable = true;
  }
  return identity;
}

/** Paths from `git status --porcelain -z`: `XY path\0`, renames and copies followed by `orig\0`. */
function changedPaths(out: string): string[] {
  const entries = out.split('\0');
  const paths: string[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if (entry.length < 4) continue;
    paths.push(entry.slice(3));
    if (entry[0] === 'R' || entry[0] === 'C') i++; // skip the original path
  }
  return paths;
}

/** runnable's wording ("changes found in a, b"), bounded so a huge change set cannot bloat every step log. */
function changesMessage(paths: string[]): string {
  const listed: string[] = [];
  let length = 0;
  for (const p of paths) {
    if (listed.length >= MAX_LISTED_PATHS || length + p.length > MAX_MESSAGE_CHARS) break;
    listed.push(p);
    length += p.length + 2;
  }
  const more = paths.length - listed.length;
  return `changes found in ${listed.join(', ')}${more ? ` and ${more} more` : ''}`;
}

/**
 * The run log is shared and kept: never record a token embedded in an http(s) remote
 * (`https://user:TOKEN@host/...`). ssh users (`git@host:...`) are not secrets and are kept.
 */
function withoutCredentials(url: string): string {
  return url.replace(/^(https?:\/\/)[^@/]*@/i, '$1');
}

const firstLine = (s: string): string => s.trim().split('\n')[0] ?? '';
