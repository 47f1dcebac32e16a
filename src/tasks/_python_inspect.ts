/**
 * `python` tasks' `inspect`: every command of a pipeline checked by one run of the shipped
 * helper (src/tasks/python/runnable_inspect.py) under the interpreter that would run them, which
 * finds each module without importing it and reads the function from its source. One process
 * for all the tasks: a check before `execute` must not cost a Python start per step.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import type { TaskNode } from '../graph/model.js';
import { RunnableError } from '../errors.js';
import { inheritedEnv } from '../secrets/scope.js';
import { HELPERS_DIR, pythonForTasks } from './_python.js';
import type { Inspection } from './types.js';

const INSPECT = path.join(HELPERS_DIR, 'runnable_inspect.py');

interface Answer {
  problem?: string;
  environmental?: boolean;
  warning?: string;
  requires?: string[];
}

export async function inspectPython(nodes: readonly TaskNode[], cwd: string): Promise<Inspection[]> {
  if (!nodes.length) return [];
  // `check` has found a Python already (or said why not, and then nothing is inspected)
  const python = await pythonForTasks().catch(() => undefined);
  if (!python) return nodes.map(() => ({}));
  const commands = nodes.map((n) => n.command.trim());
  let answers: Answer[];
  try {
    answers = await helper(python.command, JSON.stringify(commands), cwd);
  } catch (e) {
    const warning = new RunnableError('E_COMMAND', `the python module was not checked: ${(e as Error).message}`, { field: 'command' });
    return nodes.map(() => ({ warning }));
  }
  return commands.map((command, i) => {
    const a = answers[i] ?? {};
    const where = { field: 'command' };
    const label = `function '${command.split('.').pop()}'`;
    if (a.problem) return { problem: new RunnableError('E_COMMAND', a.problem, where), environmental: !!a.environmental, label };
    if (a.warning) return { warning: new RunnableError('E_COMMAND', a.warning, where), label };
    return { label, ...(a.requires ? { requires: a.requires } : {}) };
  });
}

function helper(python: string, request: string, cwd: string): Promise<Answer[]> {
  return new Promise((resolve, reject) => {
    execFile(python, [INSPECT, request], { cwd, env: inheritedEnv(), timeout: 30_000, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error((stderr || err.message).trim().split('\n').pop()));
      try {
        const answers = JSON.parse(stdout.trim().split('\n').pop()!) as Answer[];
        if (!Array.isArray(answers)) throw new Error('not a list');
        resolve(answers);
      } catch {
        reject(new Error(`the helper gave an unreadable answer: ${stdout.slice(0, 200)}`));
      }
    });
  });
}
