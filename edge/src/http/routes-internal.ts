/**
 * `/internal/v1`: the signed routes media nodes call. The worker checks the HMAC (stateless);
 * the nonce is checked by the Durable Object that applies the request, where a ReplayGuard
 * lives: the registry for heartbeats, each touched shard for event batches.
 */
import { Hono } from 'hono';
import { MediaError } from '../../../shared/errors.ts';
import type { NodeEvent } from '../../../shared/events.ts';
import { shardFor } from '../../../shared/hash.ts';
import { heartbeatSchema, nodeEventBatchSchema } from '../../../shared/internal.ts';
import { NONCE_HEADER, TIMESTAMP_HEADER, verifyRequest } from '../../../shared/signing.ts';
import { mapBounded } from '../bounded.ts';
import { unwrap } from '../outcome.ts';
import { type AppContext, type AppEnv, config, registry, shardByIndex } from './context.ts';
import { limitBody } from './middleware.ts';
import { parseValue } from './parse.ts';

/** Shards an event batch is applied to at once. */
const EVENT_FAN_OUT = 8;

interface SignedBody {
  value: unknown;
  nonce: string;
  timestamp: number;
}

/** 401 unless the request carries a valid signature over its method, path and exact body. */
async function verifySigned(c: AppContext): Promise<SignedBody> {
  const text = await c.req.text();
  const url = new URL(c.req.url);
  const verdict = await verifyRequest(
    config(c).NODE_SHARED_SECRET,
    { method: c.req.method, path: url.pathname + url.search, body: text },
    c.req.raw.headers,
  );
  if (!verdict.ok) throw new MediaError('unauthorized', `signature refused: ${verdict.reason}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new MediaError('invalid_request', 'the body is not valid JSON', { field: '(body)' });
  }
  return {
    value,
    nonce: c.req.header(NONCE_HEADER) ?? '',
    timestamp: Number(c.req.header(TIMESTAMP_HEADER)),
  };
}

export const internalRoutes = new Hono<AppEnv>();

internalRoutes.use('*', limitBody());

internalRoutes.post('/nodes/heartbeat', async (c) => {
  const signed = await verifySigned(c);
  const heartbeat = parseValue(heartbeatSchema, signed.value);
  return c.json(unwrap(await registry(c).heartbeat(heartbeat, signed.nonce, signed.timestamp)));
});

internalRoutes.post('/events', async (c) => {
  const signed = await verifySigned(c);
  const batch = parseValue(nodeEventBatchSchema, signed.value);
  const byShard = new Map<number, NodeEvent[]>();
  for (const event of batch.events) {
    const shard = shardFor(event.sessionId, config(c).SHARD_COUNT);
    byShard.set(shard, [...(byShard.get(shard) ?? []), event]);
  }
  // Every shard sees the batch's nonce; a replay is refused by each of them (401).
  await mapBounded([...byShard], EVENT_FAN_OUT, async ([shard, events]) => {
    const stub = shardByIndex(c, shard);
    unwrap(await stub.applyNodeEvents(batch.nodeId, signed.nonce, signed.timestamp, events));
  });
  return c.body(null, 204);
});
