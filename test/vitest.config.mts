// Cross-service tests: the real stack (workerd + two media nodes), werift clients and Chromium.
// One file at a time (each starts its own stack on free ports); generous timeouts, since
// start-up, node-loss detection and drains take seconds.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'e2e',
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    globalSetup: ['test/support/global-setup.ts'],
  },
});
