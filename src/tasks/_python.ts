/**
 * Which Python runs `python` tasks, notebooks and Python reducers, and what it offers.
 *
 * The interpreter is `RUNNABLE_PYTHON` when set (then only that one). Otherwise the first that
 * works of: the active virtualenv's (`$VIRTUAL_ENV/bin/python`), `/usr/bin/python3` (the
 * system's, where Debian/Ubuntu install `python3-nbclient` & co.), `python3` on PATH. For
 * notebooks the first of those that has the Jupyter modules (nbclient, nbformat,
 * jupyter_client) is taken, so a bare pyenv/conda `python3` earlier on PATH does not hide the
 * system's Jupyter stack.
 *
 * Each candidate is probed once per process (one short Python run) and the answer cached.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { RunnableError } from '../errors.js';
import { installed } from '../util/package-root.js';

export interface KernelInfo {
  language: string;
  display_name: string;
  /** the kernel's program (argv[0]) exists */
  runnable: boolean;
}

export interface PythonProbe {
  /** what to spawn (as given: a path or a name looked up on PATH) */
  command: string;
  executable: string;
  version: [number, number, number];
  /** Jupyter modules this interpreter lacks */
  missing: string[];
  ipykernel: boolean;
  kernels: Record<string, KernelInfo>;
}

/** Folder of the shipped Python helpers: dist/tasks/python (copied by `postbuild`), else src/tasks/python. */
export const HELPERS_DIR = ((): string => {
  const built = installed('dist/tasks/python');
  return existsSync(path.join(built, 'runnable_shim.py')) ? built : installed('src/tasks/python');
})();

export const SHIM = path.join(HELPERS_DIR, 'runnable_shim.py');
export const NOTEBOOK_DRIVER = path.join(HELPERS_DIR, 'runnable_notebook.py');

const MIN_VERSION: [number, number] = [3, 8];
const JUPYTER_APT = 'python3-nbclient python3-nbformat python3-jupyter-client python3-ipykernel';
export const JUPYTER_HINT =
  `install the Jupyter packages: 'apt-get install ${JUPYTER_APT}' (Debian/Ubuntu) or 'pip install nbclient nbformat ipykernel', ` +
  'or set RUNNABLE_PYTHON to a Python 3 that has them';

const probes = new Map<string, Promise<PythonProbe | string>>();

/** The interpreters to try, in order. */
export function candidates(env: NodeJS.ProcessEnv = process.env): { list: string[]; explicit: boolean } {
  const chosen = env['RUNNABLE_PYTHON']?.trim();
  if (chosen) return { list: [chosen], explicit: true };
  const list: string[] = [];
  if (env['VIRTUAL_ENV']) list.push(path.join(env['VIRTUAL_ENV'], 'bin', 'python'));
  list.push('/usr/bin/python3', 'python3');
  return { list, explicit: false };
}

/** Probe one interpreter: its facts, or why it cannot be used. */
export function probe(command: string): Promise<PythonProbe | string> {
  let p = probes.get(command);
  if (!p) {
    p = new Promise((resolve) => {
      execFile(command, [NOTEBOOK_DRIVER, '--probe'], { timeout: 30_000, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
        if (err) {
          const code = (err as NodeJS.ErrnoException).code;
          resolve(code === 'ENOENT' ? 'not found' : `does not run: ${(stderr || err.message).trim().split('\n').pop()}`);
          return;
        }
        try {
          const facts = JSON.parse(stdout.trim().split('\n').pop()!) as Omit<PythonProbe, 'command'>;
          const [major, minor] = facts.version;
          if (major < MIN_VERSION[0] || (major === MIN_VERSION[0] && minor < MIN_VERSION[1])) {
            resolve(`is Python ${facts.version.join('.')}; runnable needs ${MIN_VERSION.join('.')} or later`);
          } else resolve({ command, ...facts });
        } catch {
          resolve(`gave an unreadable answer: ${stdout.slice(0, 200)}`);
        }
      });
    });
    probes.set(command, p);
  }
  return p;
}

/** The interpreter for `python` tasks and reducers; E_COMMAND naming what was tried. */
export async function pythonForTasks(env: NodeJS.ProcessEnv = process.env): Promise<PythonProbe> {
  const { list, explicit } = candidates(env);
  const tried: string[] = [];
  for (const command of list) {
    const facts = await probe(command);
    if (typeof facts !== 'string') return facts;
    tried.push(`${command} ${facts}`);
  }
  throw new RunnableError(
    'E_COMMAND',
    `python tasks need Python ${MIN_VERSION.join('.')}+ and none was usable (${tried.join('; ')}): ` +
      (explicit ? 'fix RUNNABLE_PYTHON' : "install python3 (e.g. 'apt-get install python3') or set RUNNABLE_PYTHON to an interpreter"),
    { field: 'command' },
  );
}

/** The interpreter for notebooks: the first candidate with the Jupyter modules. */
export async function pythonForNotebooks(env: NodeJS.ProcessEnv = process.env): Promise<PythonProbe> {
  const { list } = candidates(env);
  const tried: string[] = [];
  for (const command of list) {
    const facts = await probe(command);
    if (typeof facts === 'string') tried.push(`${command} ${facts}`);
    else if (facts.missing.length) tried.push(`${command} lacks ${facts.missing.join(', ')}`);
    else return facts;
  }
  throw new RunnableError('E_COMMAND', `notebook tasks need Python 3 with Jupyter (${tried.join('; ')}): ${JUPYTER_HINT}`, {
    field: 'command',
  });
}

/** What to do when a notebook's kernel is not there. */
export function kernelHint(name: string, language: string, facts: PythonProbe): string {
  const installed = Object.keys(facts.kernels).join(', ') || 'none';
  if (name === 'python3' || /^python/i.test(language)) {
    return `the notebook's kernel '${name}' is not installed for ${facts.executable} (installed: ${installed}): install ipykernel ('apt-get install python3-ipykernel' or 'pip install ipykernel')`;
  }
  if (name === 'deno' || /typescript|javascript/i.test(language)) {
    return `the notebook's TypeScript kernel '${name}' is not installed (installed: ${installed}): install Deno ('npm install -g deno') and register its kernel with 'deno jupyter --install'`;
  }
  return `the notebook's kernel '${name}' (${language || 'unknown language'}) is not installed (installed: ${installed}): install it, or change the notebook's kernelspec`;
}

/** Forget cached probes (tests that change the environment). */
export function resetPythonProbes(): void {
  probes.clear();
}
