// Workers-runtime tests: the edge (routes + Durable Objects) inside workerd via Miniflare.
// A fake media node (edge/test/support/fake-node-server.ts) runs in Node on 127.0.0.1; the
// worker reaches it with real signed fetches, so signatures are checked on the node side too.
import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { TEST_JWT_SECRET, TEST_NODE_SECRET } from './test/support/fake-node-protocol.ts';

// A path string, not a URL: this file is type-checked with both Node's and the Workers' URL.
const root = decodeURIComponent(new URL('..', import.meta.url).pathname);

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: `${root}wrangler.toml` },
      miniflare: {
        // Test values: short timeouts keep "node does not answer" tests fast; fixed secrets so
        // the tests do not depend on a local .dev.vars; a short node-directory age so a test
        // that changes a node's state waits a fraction of a second for placement to see it.
        bindings: {
          JWT_SECRET: TEST_JWT_SECRET,
          NODE_SHARED_SECRET: TEST_NODE_SECRET,
          NODE_TIMEOUT_MS: '400',
          SHARD_COUNT: '4',
          NODE_DIRECTORY_MAX_AGE_MS: '300',
        },
      },
    }),
  ],
  test: {
    name: 'workers',
    root,
    include: ['edge/test/**/*.test.ts'],
    globalSetup: ['edge/test/support/global-setup.ts'],
    setupFiles: ['edge/test/support/setup.ts'],
    // The edge logs a JSON line per request: show them only for failing tests.
    silent: 'passed-only',
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
