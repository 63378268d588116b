/** `/api/media/sessions`: create (with Idempotency-Key), list, read, close. */
import { Hono } from 'hono';
import {
  type CreateSessionRequest,
  type CreateSessionResponse,
  createSessionSchema,
  type ListSessionsResponse,
  listSessionsQuerySchema,
  type SessionView,
  sessionLinks,
} from '../../../shared/api.ts';
import { MediaError } from '../../../shared/errors.ts';
import type { SessionStats } from '../../../shared/stats.ts';
import { assertRoomAccess, roomForNewSession } from '../auth/access.ts';
import type { Caller } from '../auth/token.ts';
import { sha256Hex } from '../digest.ts';
import { sessionStats } from '../node/session-stats.ts';
import { unwrap } from '../outcome.ts';
import {
  type ClientLocation,
  clientLocation,
  locationHintFor,
} from '../placement/client-location.ts';
import { placerIndex } from '../placement/placer-name.ts';
import { decodeCursor, encodeCursor } from '../session/cursor.ts';
import { deviceShard, isPrivateRoom, newSessionIdFor, privateRoom } from '../session/ids.ts';
import { listPage } from '../session/paging.ts';
import { sessionIceServers } from '../turn/ice-servers.ts';
import { type AppContext, type AppEnv, config, placer, shardByIndex } from './context.ts';
import { parseValue, readJson } from './parse.ts';
import { sessionStub } from './session-stub.ts';

/** Shards read at once by the listing. */
const LIST_CONCURRENCY = 4;
/** Idempotency keys: what Stripe and the IETF draft allow (printable ASCII, bounded). */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export const sessionRoutes = new Hono<AppEnv>();

sessionRoutes.post('/', async (c) => {
  const caller = c.get('caller');
  const { text, value } = await readJson(c);
  const body = parseValue(createSessionSchema, value);
  const key = c.req.header('idempotency-key');
  const client = locationOf(c);
  if (key === undefined) return c.json(await createSession(c, caller, body, client), 201);
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw new MediaError('invalid_request', 'Idempotency-Key must be 1-255 printable characters', {
      field: 'Idempotency-Key',
    });
  }
  // The key lives on the device's shard, beside the sessions it creates: a key whose session
  // ended is forgotten there (idempotency.ts), without asking another shard.
  const keyHash = await sha256Hex(`${caller.deviceId}\n${key}`);
  const owner = shardByIndex(
    c,
    deviceShard(caller.deviceId, config(c).SHARD_COUNT),
    locationHintFor(client),
  );
  const claim = unwrap(await owner.claimIdempotency(keyHash, await sha256Hex(text)));
  switch (claim.kind) {
    case 'replay':
      return c.body(claim.response, claim.status as 201, {
        'content-type': 'application/json',
        'idempotent-replayed': 'true',
      });
    case 'conflict':
      throw new MediaError(
        'idempotency_conflict',
        'this Idempotency-Key was used with another body',
      );
    case 'pending':
      throw new MediaError(
        'idempotency_conflict',
        'a request with this Idempotency-Key is in progress',
        {},
        1,
      );
    case 'new':
      break;
  }
  try {
    const created = await createSession(c, caller, body, client);
    unwrap(await owner.completeIdempotency(keyHash, 201, JSON.stringify(created)));
    return c.json(created, 201);
  } catch (err) {
    await owner.completeIdempotency(keyHash, null, '');
    throw err;
  }
});

/**
 * Places the session (the room's placer: no registry call on the way, see room-placer.ts) and
 * stores it on the device's shard. Both objects are created near this client if this is their
 * first use (location hints).
 */
/** The caller's location for placement: `request.cf`, or the header when trusted. */
export function locationOf(c: AppContext): ClientLocation | null {
  return clientLocation(
    c.req.raw.headers,
    c.req.raw.cf as Record<string, unknown> | undefined,
    config(c).TRUST_LOCATION_HEADER,
  );
}

export async function createSession(
  c: AppContext,
  caller: Caller,
  body: CreateSessionRequest,
  client: ClientLocation | null,
): Promise<CreateSessionResponse> {
  const { SHARD_COUNT, ICE_SERVERS } = config(c);
  // Minted on the device's shard, so the device's sessions live together (ids.ts).
  const sessionId = newSessionIdFor(caller.deviceId, SHARD_COUNT);
  const room = roomForNewSession(caller, body.room) ?? privateRoom(sessionId);
  const hint = locationHintFor(client);
  const roomPlacer = placer(c, placerIndex(room, caller.deviceId, SHARD_COUNT), hint);
  const node = unwrap(await roomPlacer.place(room, client));
  let view: SessionView;
  try {
    // The shard checks the device's cap (MAX_SESSIONS_PER_DEVICE) and stores the session.
    view = unwrap(
      await shardByIndex(c, deviceShard(caller.deviceId, SHARD_COUNT), hint).create(
        {
          sessionId,
          deviceId: caller.deviceId,
          room,
          echo: body.echo ?? false,
          metadata: body.metadata ?? null,
        },
        node,
      ),
    );
  } catch (err) {
    // The placer's reservation lapses with the node's next heartbeat; a room join is undone now.
    if (!isPrivateRoom(room)) await roomPlacer.release(room);
    throw err;
  }
  return {
    sessionId,
    room,
    state: view.state,
    node: { id: node.id, region: node.region, distanceKm: node.distanceKm },
    iceServers: await sessionIceServers(ICE_SERVERS, c.env, sessionId),
    expiresAt: view.expiresAt,
    links: sessionLinks(sessionId),
  };
}

sessionRoutes.get('/', async (c) => {
  const caller = c.get('caller');
  const q = parseValue(listSessionsQuerySchema, c.req.query());
  if (!caller.admin && q.device !== undefined && q.device !== caller.deviceId) {
    throw new MediaError('forbidden', "listing another device's sessions needs the admin scope");
  }
  // A room-bound token sees its room's sessions only, the same device's others included.
  if (q.room !== undefined) assertRoomAccess(caller, q.room);
  const room = q.room ?? (caller.admin ? undefined : caller.room);
  const deviceId = caller.admin ? q.device : caller.deviceId;
  const { SHARD_COUNT, DEVICE_LIST_FANOUT } = config(c);
  const start = q.cursor ? decodeCursor(q.cursor, SHARD_COUNT) : { s: 0, k: '' };
  const read = async (shard: number, afterId: string, limit: number) =>
    unwrap(await shardByIndex(c, shard).list({ deviceId, room, afterId, limit }));
  if (!caller.admin && !DEVICE_LIST_FANOUT) {
    // A device's own sessions live on its shard: one read, answered as the shard wrote it.
    const shard = shardByIndex(c, deviceShard(caller.deviceId, SHARD_COUNT));
    const page = unwrap(await shard.listText({ deviceId, room, afterId: start.k, limit: q.limit }));
    const next = page.more && page.lastId !== null ? encodeCursor({ s: 0, k: page.lastId }) : null;
    return jsonText(c, `{"sessions":${page.text},"nextCursor":${JSON.stringify(next)}}`);
  }
  // Admins fan out over all shards.
  const page = await listPage(read, SHARD_COUNT, start, q.limit, LIST_CONCURRENCY);
  const response: ListSessionsResponse = {
    sessions: page.sessions,
    nextCursor: page.next ? encodeCursor(page.next) : null,
  };
  return c.json(response);
});

sessionRoutes.get('/:id', async (c) => {
  const id = c.req.param('id');
  const { text, node } = unwrap(await sessionStub(c, id).readText(id, c.get('caller')));
  const { NODE_SHARED_SECRET, NODE_TIMEOUT_MS } = config(c);
  const stats: SessionStats | null = node
    ? await sessionStats(node, id, { secret: NODE_SHARED_SECRET, timeoutMs: NODE_TIMEOUT_MS })
    : null;
  // `{...view, stats}` without parsing the view: its text is a JSON object, `}` last.
  return jsonText(c, `${text.slice(0, -1)},"stats":${JSON.stringify(stats)}}`);
});

/** A 200 whose body is JSON text made by a shard (what `c.json` would send for the value). */
function jsonText(c: AppContext, text: string): Response {
  return c.body(text, 200, JSON_TYPE);
}
const JSON_TYPE = { 'content-type': 'application/json' };

sessionRoutes.delete('/:id', async (c) => {
  const id = c.req.param('id');
  unwrap(await sessionStub(c, id).close(id, c.get('caller')));
  return c.body(null, 204);
});
