import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Most of the time is in child processes (the workload program, the CLI): two files at once keep both cores busy.
    maxWorkers: 2,
    // End-to-end tests spawn programs and servers: give them room, but keep the suite well under a minute.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
