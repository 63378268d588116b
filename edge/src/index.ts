/** The edge Worker: the Hono app plus the Durable Object classes the runtime instantiates. */
import type { Env } from './env.ts';
import { createApp } from './http/app.ts';

export { RoomPlacer } from './placement/room-placer.ts';
export { NodeRegistry } from './registry/node-registry.ts';
export { SessionShard } from './shard/session-shard.ts';
export { WebhookDispatcher } from './webhooks/dispatcher.ts';

const app = createApp();

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
