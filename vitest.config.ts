import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // End-to-end tests spawn programs and servers: give them room, but keep the suite well under a minute.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
