/**
 * The task-kind contract's fixtures (test/tasks/contract.test.ts): for each registered
 * `command_type`, the same three small programs written in that kind, in a test's own folder.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MemberHooks } from '../_members.js';

export interface TaskKindFixture extends MemberHooks {
  /**
   * Writes the programs into `dir` (the task's working directory) and returns their commands:
   * - `sum`: takes json parameters `x` and `y`, prints `total=<x+y>` on stdout, returns it as `total`;
   * - `fail`: prints `boom` on stderr and fails (throws, exits non-zero, raises);
   * - `env`: prints `var=<value of RUNNABLE_CONTRACT_VAR>` on stdout.
   */
  write(dir: string): Promise<{ sum: string; fail: string; env: string }>;
  /** changes the code behind `sum` in place, the command unchanged, where the kind reads its code at each start (files it hashes) */
  edit?(dir: string): Promise<void>;
}

const notebook = (...cells: string[]) =>
  JSON.stringify({
    cells: cells.map((source, i) => ({
      cell_type: 'code',
      execution_count: null,
      id: `cell${i}`,
      metadata: i === 0 ? { tags: ['parameters'] } : {},
      outputs: [],
      source,
    })),
    metadata: { kernelspec: { display_name: 'Python 3 (ipykernel)', language: 'python', name: 'python3' }, language_info: { name: 'python' } },
    nbformat: 4,
    nbformat_minor: 5,
  });

const SUM_PY = 'def total(x, y):\n    print(f"total={x + y}")\n    return x + y\n';

export const taskKindMembers: Record<string, TaskKindFixture> = {
  typescript: {
    // loaded once per process (as in a real run, where each process loads the module afresh): no in-place edit here
    async write(dir) {
      await writeFile(
        join(dir, 'contract.ts'),
        [
          'export function sum(x: number, y: number): number { console.log(`total=${x + y}`); return x + y; }',
          "export function fail(): never { console.error('boom'); throw new Error('boom'); }",
          'export function env(): void { console.log(`var=${process.env.RUNNABLE_CONTRACT_VAR}`); }',
        ].join('\n'),
      );
      return { sum: 'contract.ts:sum', fail: 'contract.ts:fail', env: 'contract.ts:env' };
    },
  },
  shell: {
    // the command text is all the code: nothing to edit in place
    async write() {
      return {
        sum: 'total=$((x + y)); echo "total=$total"; export total',
        fail: 'echo boom >&2; exit 3',
        env: 'echo "var=$RUNNABLE_CONTRACT_VAR"',
      };
    },
  },
  python: {
    async write(dir) {
      await writeFile(join(dir, 'contract_sum.py'), SUM_PY);
      await writeFile(join(dir, 'contract_other.py'), [
        'import os, sys',
        'def fail():\n    print("boom", file=sys.stderr)\n    raise ValueError("boom")',
        'def env():\n    print("var=" + os.environ["RUNNABLE_CONTRACT_VAR"])',
      ].join('\n'));
      return { sum: 'contract_sum.total', fail: 'contract_other.fail', env: 'contract_other.env' };
    },
    edit: (dir) => writeFile(join(dir, 'contract_sum.py'), `${SUM_PY}# edited\n`),
  },
  notebook: {
    async write(dir) {
      await writeFile(join(dir, 'sum.ipynb'), notebook('x = 0\ny = 0', 'total = x + y\nprint(f"total={total}")'));
      await writeFile(join(dir, 'fail.ipynb'), notebook('', 'import sys\nprint("boom", file=sys.stderr)\nraise ValueError("boom")'));
      await writeFile(join(dir, 'env.ipynb'), notebook('', 'import os\nprint("var=" + os.environ["RUNNABLE_CONTRACT_VAR"])'));
      return { sum: 'sum.ipynb', fail: 'fail.ipynb', env: 'env.ipynb' };
    },
    edit: (dir) => writeFile(join(dir, 'sum.ipynb'), notebook('x = 0\ny = 0', 'total = y + x\nprint(f"total={total}")')),
  },
};
