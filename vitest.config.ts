import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // examples/: the example user tests (examples/testing/*.test.ts) run in the project's suite
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The suite mostly waits on other processes (steps, Slurm jobs, containers, npm): a worker per
    // core keeps both of CI's two cores busy, where vitest's default (cores - 1) ran one file at a
    // time there.
    maxWorkers: Math.max(2, availableParallelism()),
  },
});
