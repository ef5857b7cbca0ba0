import { defineConfig } from 'vitest/config';

// Two projects, laid out as the code is: test/unit/<wing>/ and test/e2e/<wing>/.
// - unit: no Terraform and no child process of any kind (test/support/no-child-processes.ts refuses them), under 30 s:
//   `npm run test:unit` is the inner loop.
// - e2e: the real Terraform, the compiled command line, openssl, Azurite, the workload program, the local cloud.
// `npm test` runs both, unit first.
export default defineConfig({
  test: {
    // Most of the time is spent waiting on child processes (terraform and its providers, the workload program, the
    // CLI): three files at once keep both cores busy.
    maxWorkers: 3,
    // Test files of one worker share the modules they import (cdktf, the provider bindings, the local cloud) instead
    // of importing them again per file: 624 CPU seconds for the suite instead of 711. No test relies on a module's
    // state from another file (each makes its own work directory, local cloud and store); if one ever seems to,
    // `npx vitest run --isolate` runs every file alone to tell.
    isolate: false,
    // One ceiling for every test and hook, set here (tests need none of their own). Tests wait for events (a line, an
    // exit, a request) and control the local cloud's clock where Azure's timing matters, so no result depends on
    // this: it only ends a hung test. It is generous because the machine is shared: with load 30 on 2 cores, a
    // Terraform test that takes 70 s alone took over 300 s beside the other tests of its file (describe.concurrent).
    testTimeout: 600_000,
    hookTimeout: 600_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // unit first, alone, then e2e: the two at once put 6 workers on 2 cores (each project has its own 3),
          // 229 s and 452 CPU s for the suite instead of 188 s and 366.
          sequence: { groupOrder: 0 },
          include: ['test/unit/**/*.test.ts'],
          setupFiles: ['test/support/no-child-processes.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          sequence: { groupOrder: 1 },
          include: ['test/e2e/**/*.test.ts'],
          // The command line compiled once (build/main.mjs): the e2e tests run it as `npm run cli` does.
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});
