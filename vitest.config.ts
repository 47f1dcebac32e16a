import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // examples/: the example user tests (examples/testing/*.test.ts) run in the project's suite
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
