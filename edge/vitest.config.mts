// Workers-runtime tests: the edge (routes + Durable Objects) inside workerd via Miniflare.
// A fake media node (edge/test/support/fake-node-server.ts) runs in Node on 127.0.0.1; the
// worker reaches it with real signed fetches, so signatures are checked on the node side too.
// Two projects: `workers` runs with webhooks off (the default deployment); `workers-webhooks`
// (edge/test/webhooks/) with WEBHOOK_URLS pointing at a receiver on 127.0.0.1 started by its
// global setup, whose port is known only then (hence the function form of cloudflareTest).
import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { TEST_JWT_SECRET, TEST_NODE_SECRET } from './test/support/fake-node-protocol.ts';
import { TEST_WEBHOOK_SECRET } from './test/support/webhook-secret.ts';

// A path string, not a URL: this file is type-checked with both Node's and the Workers' URL.
const root = decodeURIComponent(new URL('..', import.meta.url).pathname);

// Test values: short timeouts keep "node does not answer" tests fast; fixed secrets so the
// tests do not depend on a local .dev.vars.
const bindings = {
  JWT_SECRET: TEST_JWT_SECRET,
  NODE_SHARED_SECRET: TEST_NODE_SECRET,
  NODE_TIMEOUT_MS: '400',
  SHARD_COUNT: '4',
  // A short node-directory age: a test that changes a node's state waits a fraction of a second
  // for placement to see it.
  NODE_DIRECTORY_MAX_AGE_MS: '300',
};

const shared = {
  root,
  setupFiles: ['edge/test/support/setup.ts'],
  // The edge logs a JSON line per request: show them only for failing tests.
  silent: 'passed-only' as const,
  testTimeout: 20_000,
  hookTimeout: 20_000,
};

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: `${root}wrangler.toml` },
            miniflare: { bindings },
          }),
        ],
        test: {
          ...shared,
          name: 'workers',
          include: ['edge/test/**/*.test.ts'],
          exclude: ['edge/test/webhooks/**'],
          globalSetup: ['edge/test/support/global-setup.ts'],
        },
      },
      {
        plugins: [
          cloudflareTest(({ inject }) => {
            const receiver = `http://127.0.0.1:${inject('webhookPort')}`;
            return {
              wrangler: { configPath: `${root}wrangler.toml` },
              miniflare: {
                bindings: {
                  ...bindings,
                  WEBHOOK_URLS: `${receiver}/a,${receiver}/b`,
                  WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
                  // Retries within a test's time: 50 ms, doubling up to 400 ms.
                  WEBHOOK_BACKOFF_BASE_MS: '50',
                  WEBHOOK_BACKOFF_MAX_MS: '400',
                  WEBHOOK_QUEUE_LIMIT: '40',
                },
              },
            };
          }),
        ],
        test: {
          ...shared,
          name: 'workers-webhooks',
          include: ['edge/test/webhooks/**/*.test.ts'],
          globalSetup: ['edge/test/support/webhooks-global-setup.ts'],
        },
      },
    ],
  },
});
