// Pure unit tests in Node: shared/, the edge's pure modules (edge/src), and media-node/.
// Workers-runtime tests: edge/vitest.config.mts. Cross-service tests: test/vitest.config.mts.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'unit',
    include: [
      'shared/**/*.test.ts',
      'edge/src/**/*.test.ts',
      'media-node/**/*.test.ts',
      'client/**/*.test.ts',
      'scripts/**/*.test.ts',
      'ops/**/*.test.ts',
      'bench/**/*.test.ts',
    ],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
