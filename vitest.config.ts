import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Most of the time is spent waiting on child processes (terraform and its providers, the workload program, the
    // CLI): three files at once keep both cores busy (84 s for the suite, against 92 s with two).
    maxWorkers: 3,
    // End-to-end tests spawn programs, servers and Terraform: give them room, but end a hung one.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
