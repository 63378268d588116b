/** `/api/media/sessions`: create (with Idempotency-Key), list, read, close. */
import { Hono } from 'hono';
import {
  type CreateSessionRequest,
  type CreateSessionResponse,
  createSessionSchema,
  type ListSessionsResponse,
  listSessionsQuerySchema,
  sessionLinks,
} from '../../../shared/api.ts';
import { MediaError } from '../../../shared/errors.ts';
import { roomForNewSession } from '../auth/access.ts';
import type { Caller } from '../auth/token.ts';
import { sha256Hex } from '../digest.ts';
import { unwrap } from '../outcome.ts';
import { decodeCursor, encodeCursor } from '../session/cursor.ts';
import { isPrivateRoom, newSessionId, privateRoom } from '../session/ids.ts';
import { listPage } from '../session/paging.ts';
import {
  type AppContext,
  type AppEnv,
  config,
  registry,
  shardByIndex,
  shardStub,
} from './context.ts';
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
  if (key === undefined) return c.json(await createSession(c, caller, body), 201);
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw new MediaError('invalid_request', 'Idempotency-Key must be 1-255 printable characters', {
      field: 'Idempotency-Key',
    });
  }
  // The key lives in the shard of hash(device, key): the session id does not exist yet, and
  // the same (device, key) always lands on the same shard, spread evenly over all of them.
  const keyHash = await sha256Hex(`${caller.deviceId}\n${key}`);
  const owner = shardStub(c, `idem:${keyHash}`);
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
    const created = await createSession(c, caller, body);
    unwrap(await owner.completeIdempotency(keyHash, 201, JSON.stringify(created)));
    return c.json(created, 201);
  } catch (err) {
    await owner.completeIdempotency(keyHash, null, '');
    throw err;
  }
});

async function createSession(
  c: AppContext,
  caller: Caller,
  body: CreateSessionRequest,
): Promise<CreateSessionResponse> {
  const sessionId = newSessionId();
  const room = roomForNewSession(caller, body.room) ?? privateRoom(sessionId);
  const node = unwrap(await registry(c).place(room));
  try {
    const view = unwrap(
      await shardStub(c, sessionId).create({
        sessionId,
        deviceId: caller.deviceId,
        room,
        echo: body.echo ?? false,
        metadata: body.metadata ?? null,
        node,
      }),
    );
    return {
      sessionId,
      room,
      state: view.state,
      node: { id: node.id, region: node.region },
      iceServers: config(c).ICE_SERVERS,
      expiresAt: view.expiresAt,
      links: sessionLinks(sessionId),
    };
  } catch (err) {
    if (!isPrivateRoom(room)) await registry(c).release(room);
    throw err;
  }
}

sessionRoutes.get('/', async (c) => {
  const caller = c.get('caller');
  const q = parseValue(listSessionsQuerySchema, c.req.query());
  if (!caller.admin && q.device !== undefined && q.device !== caller.deviceId) {
    throw new MediaError('forbidden', "listing another device's sessions needs the admin scope");
  }
  const deviceId = caller.admin ? q.device : caller.deviceId;
  const { SHARD_COUNT } = config(c);
  const start = q.cursor ? decodeCursor(q.cursor, SHARD_COUNT) : { s: 0, k: '' };
  const page = await listPage(
    async (shard, afterId, limit) =>
      unwrap(await shardByIndex(c, shard).list({ deviceId, room: q.room, afterId, limit })),
    SHARD_COUNT,
    start,
    q.limit,
    LIST_CONCURRENCY,
  );
  const response: ListSessionsResponse = {
    sessions: page.sessions,
    nextCursor: page.next ? encodeCursor(page.next) : null,
  };
  return c.json(response);
});

sessionRoutes.get('/:id', async (c) => {
  const id = c.req.param('id');
  return c.json(unwrap(await sessionStub(c, id).get(id, c.get('caller'))));
});

sessionRoutes.delete('/:id', async (c) => {
  const id = c.req.param('id');
  unwrap(await sessionStub(c, id).close(id, c.get('caller')));
  return c.body(null, 204);
});
