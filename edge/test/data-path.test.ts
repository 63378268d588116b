/**
 * The edge's data path costs what a call needs: reads and socket frames write nothing, a
 * device's listing reads one shard, and the bounds on sockets and frames hold.
 *
 * Writes are counted by SQLite itself (`total_changes()`: rows inserted, updated or deleted on
 * the object's connection, by any code path, alarms included), so a write that sneaks back into
 * a read fails these tests whichever module makes it.
 */
import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { ListSessionsResponse, SessionView } from '../../shared/api.ts';
import { PING_FRAME } from '../../shared/events.ts';
import {
  CLOSE_SOCKET_REPLACED,
  CLOSE_TOO_MANY_FRAMES,
  SOCKET_FRAME_LIMIT,
} from '../../shared/limits.ts';
import { STATS_CACHE_MS, STATS_TIMEOUT_MS } from '../src/node/session-stats.ts';
import { CARRY_INTERVAL_MS, FLUSH_DELAY_MS } from '../src/shard/shard-counters.ts';
import {
  authed,
  call,
  createSession,
  heartbeat,
  negotiatingSession,
  nodeRequests,
  setNodeMode,
  shardCount,
  token,
  uid,
} from './support/edge.ts';
import { shardOf } from './support/shards.ts';
import { closedWithin, openEvents } from './support/socket.ts';

type Stub = ReturnType<typeof shardOf>;

/** Rows written on the shard's SQLite connection since it opened. */
function rowsWritten(shard: Stub): Promise<number> {
  return runInDurableObject(shard, (_instance, state) =>
    Number(state.storage.sql.exec('SELECT total_changes() AS n').one().n),
  );
}

/** `media_edge_shard_requests_total` of one shard (the scrape path: flushes, then reads). */
async function shardRequests(index: number): Promise<number> {
  const samples = await env.SESSION_SHARD.getByName(`shard-${index}`).metrics(index);
  const row = samples.find((s) => s.metric === 'shard_requests');
  return row && 'value' in row ? row.value : 0;
}

async function list(tok: string, query = ''): Promise<ListSessionsResponse> {
  const res = await call(`/api/media/sessions${query}`, authed(tok, 'GET'));
  expect(res.status).toBe(200);
  return (await res.json()) as ListSessionsResponse;
}

describe('reads never write', () => {
  it('GET /sessions/:id and the listing write no row, and arm no alarm', async () => {
    await heartbeat(uid('node'));
    const tok = await token(uid('dev'));
    const session = await createSession(tok);
    const shard = shardOf(session.sessionId);
    const before = await rowsWritten(shard);
    for (let i = 0; i < 20; i++) {
      expect((await call(session.links.self, authed(tok, 'GET'))).status).toBe(200);
    }
    for (let i = 0; i < 5; i++) expect((await list(tok)).sessions).toHaveLength(1);
    expect(await rowsWritten(shard)).toBe(before);
  });

  it("GET /sessions/:id of a live session carries the node's stats, at most STATS_CACHE_MS old, and writes nothing", async () => {
    const { tok, session, nodeId } = await negotiatingSession();
    const shard = shardOf(session.sessionId);
    const before = await rowsWritten(shard);
    const read = async () => {
      const res = await call(session.links.self, authed(tok, 'GET'));
      expect(res.status).toBe(200);
      return (await res.json()) as SessionView;
    };
    // Reads within one interval share the node's answer, concurrent ones included.
    const [first, again] = await Promise.all([read(), read()]);
    expect(first.stats?.inbound.packets).toBe(50);
    expect(again.stats).toEqual(first.stats);
    expect((await read()).stats).toEqual(first.stats);
    await new Promise((r) => setTimeout(r, STATS_CACHE_MS + 100));
    const later = await read();
    expect(later.stats?.inbound.packets).toBe(100);
    expect(later.stats?.tracks).toEqual([
      expect.objectContaining({ trackId: `${session.sessionId}:0`, direction: 'in', layer: null }),
    ]);
    expect(await rowsWritten(shard)).toBe(before);
    const gets = (await nodeRequests(nodeId)).filter((r) => r.method === 'GET');
    expect(gets.map((r) => r.path)).toEqual([
      `/internal/v1/sessions/${session.sessionId}`,
      `/internal/v1/sessions/${session.sessionId}`,
    ]);
    expect(gets.every((r) => r.signature === 'ok')).toBe(true);
  });

  it('shows the session without stats when its node does not answer in time', async () => {
    const { tok, session, nodeId } = await negotiatingSession();
    await setNodeMode(nodeId, 'hang');
    const started = Date.now();
    const res = await call(session.links.self, authed(tok, 'GET'));
    expect(res.status).toBe(200);
    const view = (await res.json()) as SessionView;
    expect(view.state).toBe('negotiating');
    expect(view.stats).toBeNull();
    expect(Date.now() - started).toBeLessThan(STATS_TIMEOUT_MS + 2_000);
  });

  it('asks no node for a session that has not offered yet', async () => {
    const nodeId = uid('node');
    await heartbeat(nodeId);
    const tok = await token(uid('dev'));
    const session = await createSession(tok);
    const view = (await (await call(session.links.self, authed(tok, 'GET'))).json()) as SessionView;
    expect(view.stats).toBeNull();
    expect(await nodeRequests(nodeId)).toEqual([]);
  });

  it('counts reads in memory and flushes them within FLUSH_DELAY_MS, so a restart keeps them', async () => {
    await heartbeat(uid('node'));
    const tok = await token(uid('dev'));
    const session = await createSession(tok);
    const shard = shardOf(session.sessionId);
    const index = Number(
      (await runInDurableObject(shard, (_i, state) => state.id.name))?.split('-')[1],
    );
    const before = await shardRequests(index);
    for (let i = 0; i < 10; i++) await call(session.links.self, authed(tok, 'GET'));
    await new Promise((r) => setTimeout(r, FLUSH_DELAY_MS + 500));
    await evictDurableObject(shard);
    expect(await shardRequests(index)).toBeGreaterThanOrEqual(before + 10);
  });
});

describe('rows in object memory', () => {
  it('views and listing pages follow every write, and equal what a new instance reads', async () => {
    await heartbeat(uid('node'));
    const { tok, session } = await negotiatingSession();
    const shard = shardOf(session.sessionId);
    // Without `stats`: those are live, asked of the node on each read.
    const self = async () => {
      const { stats: _live, ...stored } = (await (
        await call(session.links.self, authed(tok, 'GET'))
      ).json()) as Record<string, unknown>;
      return stored;
    };
    const ids = async () =>
      (await list(tok)).sessions.map((s): [string, string] => [s.sessionId, s.state]);
    expect(await self()).toMatchObject({ state: 'negotiating', iceCandidates: 0 });
    expect(await ids()).toEqual([[session.sessionId, 'negotiating']]);
    const candidates = { candidates: [{ candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host' }] };
    expect((await call(session.links.candidates, authed(tok, 'POST', candidates))).status).toBe(
      204,
    );
    expect(await self()).toMatchObject({ iceCandidates: 1 });
    const second = await createSession(tok);
    expect(await ids()).toEqual(
      [
        [session.sessionId, 'negotiating'],
        [second.sessionId, 'new'],
      ].sort(),
    );
    expect((await call(second.links.self, authed(tok, 'DELETE'))).status).toBe(204);
    expect(new Map(await ids()).get(second.sessionId)).toBe('closed');
    const cached = { view: await self(), page: await list(tok) };
    await evictDurableObject(shard);
    expect({ view: await self(), page: await list(tok) }).toEqual(cached);
  });

  it('a write carries the pending counters at most once per CARRY_INTERVAL_MS', async () => {
    await heartbeat(uid('node'));
    const tok = await token(uid('dev'));
    const first = await createSession(tok);
    const shard = shardOf(first.sessionId);
    const started = Date.now();
    const before = await rowsWritten(shard);
    const creates = 10;
    for (let i = 0; i < creates; i++) await createSession(tok);
    const seconds = (Date.now() - started) / CARRY_INTERVAL_MS;
    // One row per create, plus per carrying flush at most one upsert per series counted
    // (shard_requests, sessions_created).
    const extra = (await rowsWritten(shard)) - before - creates;
    expect(extra).toBeGreaterThanOrEqual(0);
    expect(extra).toBeLessThanOrEqual(2 * (Math.floor(seconds) + 1));
    expect(extra).toBeLessThan(2 * creates);
  });
});

describe('colocated sessions', () => {
  it("a device's listing reads exactly one shard, and finds every session of the device", async () => {
    await heartbeat(uid('node'));
    const tok = await token(uid('dev'));
    const ids = new Set<string>();
    for (let i = 0; i < 8; i++) ids.add((await createSession(tok)).sessionId);
    const shards = Array.from({ length: shardCount() }, (_, i) => i);
    const before = await Promise.all(shards.map(shardRequests));
    const page = await list(tok);
    const after = await Promise.all(shards.map(shardRequests));
    expect(new Set(page.sessions.map((s) => s.sessionId))).toEqual(ids);
    // metrics() is not counted as a shard request: only the listing moves the counts.
    const touched = shards.filter((i) => (after[i] ?? 0) > (before[i] ?? 0));
    expect(touched).toHaveLength(1);
  });

  it('a room-bound token lists only its room, not the same device in other rooms', async () => {
    await heartbeat(uid('node'));
    const device = uid('dev');
    const [roomA, roomB] = [uid('room'), uid('room')];
    const inA = await createSession(await token(device, { room: roomA }));
    await createSession(await token(device, { room: roomB }));
    await createSession(await token(device));
    const boundToA = await token(device, { room: roomA });
    expect((await list(boundToA)).sessions.map((s) => s.sessionId)).toEqual([inA.sessionId]);
    expect((await list(boundToA, `?room=${roomA}`)).sessions).toHaveLength(1);
    const other = await call(`/api/media/sessions?room=${roomB}`, authed(boundToA, 'GET'));
    expect(other.status).toBe(403);
    expect((await list(await token(device))).sessions).toHaveLength(3);
  });

  it('caps open sessions per device (429 rate_limited with the limit); ended ones free a slot', async () => {
    await heartbeat(uid('node'));
    const tok = await token(uid('dev'));
    const limit = Number(env.MAX_SESSIONS_PER_DEVICE ?? '20');
    const sessions = [];
    for (let i = 0; i < limit; i++) sessions.push(await createSession(tok));
    const refused = await call('/api/media/sessions', authed(tok, 'POST', {}));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).not.toBeNull();
    expect(await refused.json()).toMatchObject({ error: { code: 'rate_limited', limit } });
    // Another device is not affected.
    expect((await createSession(await token(uid('dev')))).sessionId).toMatch(/^[0-9a-f]{32}$/);
    const first = sessions[0];
    if (!first) throw new Error('no session');
    expect((await call(first.links.self, authed(tok, 'DELETE'))).status).toBe(204);
    expect((await createSession(tok)).sessionId).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('event socket frames', () => {
  it('1,000 pings and a run of acks write nothing', async () => {
    const { tok, session } = await negotiatingSession();
    const shard = shardOf(session.sessionId);
    const client = await openEvents(session.links.events, tok);
    await client.until((f) => f.some((x) => x.type === 'state'));
    const before = await rowsWritten(shard);
    for (let i = 0; i < 1_000; i++) client.ws.send(PING_FRAME);
    await client.until((f) => f.filter((x) => x.type === 'pong').length === 1_000, 10_000);
    for (let i = 0; i < 20; i++) client.send({ type: 'ack', seq: 1 });
    client.send({ type: 'ping', extra: 'not the exact form' });
    await client.until((f) => f.filter((x) => x.type === 'pong').length === 1_001);
    expect(await rowsWritten(shard)).toBe(before);
    client.ws.close(1000, 'done');
  });

  it('keeps at most 4 sockets per session: a fifth closes the oldest with 4010', async () => {
    const { tok, session } = await negotiatingSession();
    const clients = [];
    for (let i = 0; i < 5; i++) {
      clients.push(await openEvents(session.links.events, tok));
      await new Promise((r) => setTimeout(r, 5));
    }
    const [oldest, ...rest] = clients;
    if (!oldest) throw new Error('no socket');
    const closed = await closedWithin(oldest);
    expect(closed.code).toBe(CLOSE_SOCKET_REPLACED);
    for (const c of rest) {
      expect((await closedWithin(c, 200)).code).toBe(-1);
      c.ws.close(1000, 'done');
    }
  });

  it('closes a socket past the frame limit with 4029', async () => {
    const { tok, session } = await negotiatingSession();
    const client = await openEvents(session.links.events, tok);
    for (let i = 0; i <= SOCKET_FRAME_LIMIT; i++) client.send({ type: 'ack', seq: 0 });
    const closed = await closedWithin(client);
    expect(closed.code).toBe(CLOSE_TOO_MANY_FRAMES);
    expect(closed.reason).toMatch(/too many frames/);
  });
});
