/** Unauthenticated operations routes: Prometheus scrape and probes. */
import type { Metrics } from '../ops/metrics.ts';
import type { Router } from './router.ts';
import type { Route } from './types.ts';

export interface Readiness {
  /** Why the node is not ready, or undefined when it is. */
  notReadyReason(): 'draining' | 'capacity_exceeded' | undefined;
}

export function addOpsRoutes(router: Router<Route>, metrics: Metrics, readiness: Readiness): void {
  router
    .add('GET', '/metrics', {
      signed: false,
      async handle() {
        return {
          status: 200,
          text: await metrics.registry.metrics(),
          contentType: metrics.registry.contentType,
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
