// Types of `cloudflare:workers` / `cloudflare:test` for the tests: the edge's bindings and exports.
import type { Env as EdgeEnv } from '../src/env.ts';

declare global {
  namespace Cloudflare {
    interface Env extends EdgeEnv {}
    interface GlobalProps {
      mainModule: typeof import('../src/index.ts');
      durableNamespaces: 'SessionShard' | 'NodeRegistry' | 'WebhookDispatcher';
    }
  }
}
