/** `GET /api/media/nodes` (admin): the media nodes the registry knows, with their load. */
import { Hono } from 'hono';
import { assertAdmin } from '../auth/access.ts';
import { type AppEnv, registry } from './context.ts';

export const nodeRoutes = new Hono<AppEnv>();

nodeRoutes.get('/', async (c) => {
  assertAdmin(c.get('caller'));
  return c.json({ nodes: await registry(c).listNodes() });
});
