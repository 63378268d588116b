/**
 * `/internal/v1`: the signed routes media nodes call. Each node signs with its own key (derived
 * from the master secret and its node id), so the worker verifies with the key of the node id
 * the body claims: a node can speak only for itself. The worker checks the HMAC (stateless);
 * replays are refused by the Durable Object that applies the request: the registry for
 * heartbeats (a timestamp floor per node, persisted), each touched shard for event batches (a
 * nonce guard); a shard applies a node's events only to sessions placed on that node.
 */
import { Hono } from 'hono';
import { nameSchema } from '../../../shared/api.ts';
import { MediaError } from '../../../shared/errors.ts';
import type { NodeEvent } from '../../../shared/events.ts';
import { shardFor } from '../../../shared/hash.ts';
import { heartbeatSchema, nodeEventBatchSchema } from '../../../shared/internal.ts';
import {
  deriveNodeKey,
  fromNode,
  NONCE_HEADER,
  TIMESTAMP_HEADER,
  verifyRequest,
} from '../../../shared/signing.ts';
import { mapBounded } from '../bounded.ts';
import { log } from '../log.ts';
import { unwrap } from '../outcome.ts';
import { allowedNodeUrl } from '../registry/node-url.ts';
import { type AppContext, type AppEnv, config, registry, shardByIndex } from './context.ts';
import { limitBody } from './middleware.ts';
import { parseValue } from './parse.ts';
import { chargeAddressOnFailure } from './rate-limit.ts';

/** Shards an event batch is applied to at once. */
const EVENT_FAN_OUT = 8;

interface SignedBody {
  value: unknown;
  nonce: string;
  timestamp: number;
}

/** The `nodeId` a body claims (not yet trusted: it picks the key that must have signed it). */
function claimedNodeId(value: unknown): string {
  const id = (value as { nodeId?: unknown } | null)?.nodeId;
  const parsed = nameSchema.safeParse(id);
  if (!parsed.success) {
    throw new MediaError('invalid_request', 'nodeId is missing or invalid', { field: 'nodeId' });
  }
  return parsed.data;
}

/**
 * 401 unless the request carries a valid signature, with the key of the node id in its body,
 * over its method, path and exact body. Refusals count against the sender's address limit.
 */
function verifySigned(c: AppContext): Promise<SignedBody> {
  return chargeAddressOnFailure(c, async () => {
    const text = await c.req.text();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new MediaError('invalid_request', 'the body is not valid JSON', { field: '(body)' });
    }
    const nodeId = claimedNodeId(value);
    const url = new URL(c.req.url);
    const verdict = await verifyRequest(
      await deriveNodeKey(config(c).NODE_SHARED_SECRET, nodeId),
      {
        method: c.req.method,
        path: url.pathname + url.search,
        body: text,
        party: fromNode(nodeId),
      },
      c.req.raw.headers,
    );
    if (!verdict.ok) throw new MediaError('unauthorized', `signature refused: ${verdict.reason}`);
    return {
      value,
      nonce: c.req.header(NONCE_HEADER) ?? '',
      timestamp: Number(c.req.header(TIMESTAMP_HEADER)),
    };
  });
}

export const internalRoutes = new Hono<AppEnv>();

internalRoutes.use('*', limitBody());

internalRoutes.post('/nodes/heartbeat', async (c) => {
  const signed = await verifySigned(c);
  const heartbeat = parseValue(heartbeatSchema, signed.value);
  const url = allowedNodeUrl(heartbeat.url, config(c).NODE_URL_ALLOW);
  if (url === undefined) {
    log('warn', 'node_url_refused', { node: heartbeat.nodeId, url: heartbeat.url });
    throw new MediaError('forbidden', 'the node URL is not allowed by NODE_URL_ALLOW', {
      field: 'url',
    });
  }
  heartbeat.url = url;
  return c.json(unwrap(await registry(c).heartbeat(heartbeat, signed.timestamp)));
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
