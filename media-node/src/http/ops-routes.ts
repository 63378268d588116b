/** Unauthenticated operations routes: Prometheus scrape and probes. */
import { Registry } from 'prom-client';
import type { Router } from './router.ts';
import type { Route } from './types.ts';

export interface Readiness {
  /** Why the node is not ready, or undefined when it is. */
  notReadyReason(): 'starting' | 'draining' | 'capacity_exceeded' | 'misconfigured' | undefined;
}

/** `scrape` renders the Prometheus text format (app.ts merges worker threads' registries). */
export function addOpsRoutes(
  router: Router<Route>,
  scrape: () => Promise<string>,
  readiness: Readiness,
): void {
  router
    .add('GET', '/metrics', {
      signed: false,
      async handle() {
        // Only a process started with --expose-gc (the ICE-restart leak test) has `gc`: the heap
        // gauges then show live memory rather than garbage not yet collected.
        (globalThis as { gc?: () => void }).gc?.();
        return {
          status: 200,
          text: await scrape(),
          contentType: Registry.PROMETHEUS_CONTENT_TYPE,
        };
      },
    })
    .add('GET', '/healthz', { signed: false, handle: () => ({ status: 200, json: { ok: true } }) })
    .add('GET', '/readyz', {
      signed: false,
      handle() {
        const reason = readiness.notReadyReason();
        return reason
          ? { status: 503, json: { ready: false, reason } }
          : { status: 200, json: { ready: true } };
      },
    });
}
