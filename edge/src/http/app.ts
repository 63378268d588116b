/** The edge's Hono app: public API under /api/media, signed internal API, health, demo page. */
import { Hono } from 'hono';
import { API_BASE } from '../../../shared/api.ts';
import { INTERNAL_BASE } from '../../../shared/internal.ts';
import { renderDemoPage } from '../demo/page.ts';
import { openApiDocument } from '../openapi/document.ts';
import type { AppEnv } from './context.ts';
import { authenticate, limitBody, requestContext } from './middleware.ts';
import { refuseMisconfigured } from './misconfigured.ts';
import { onError } from './on-error.ts';
import { limitByAddress } from './rate-limit.ts';
import { internalRoutes } from './routes-internal.ts';
import { metricsRoutes } from './routes-metrics.ts';
import { nodeRoutes } from './routes-nodes.ts';
import { roomRoutes } from './routes-rooms.ts';
import { sessionRoutes } from './routes-sessions.ts';
import { signalingRoutes } from './routes-signaling.ts';
import { ingestRoutes } from './routes-whip.ts';

export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('*', requestContext(), refuseMisconfigured());

  app.get('/', (c) => c.html(renderDemoPage()));
  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  const api = new Hono<AppEnv>();
  api.get('/openapi.json', limitByAddress(), (c) => c.json(openApiDocument()));
  // Before the API's authentication: these answer CORS preflights, then authenticate themselves.
  api.route('/whip', ingestRoutes('whip'));
  api.route('/whep', ingestRoutes('whep'));
  api.use('*', limitBody(), authenticate());
  api.route('/sessions', sessionRoutes);
  api.route('/sessions', signalingRoutes);
  api.route('/rooms', roomRoutes);
  api.route('/metrics', metricsRoutes);
  api.route('/nodes', nodeRoutes);
  app.route(API_BASE, api);
  app.route(INTERNAL_BASE, internalRoutes);

  app.notFound((c) => c.json({ error: { code: 'not_found', message: 'no such route' } }, 404));
  app.onError(onError);
  return app;
}
