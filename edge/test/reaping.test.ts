import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { SessionView } from '../../shared/api.ts';
import { PING_FRAME } from '../../shared/events.ts';
import {
  authed,
  call,
  createSession,
  heartbeat,
  negotiatingSession,
  nodeEvents,
  nodeRequests,
  token,
  uid,
} from './support/edge.ts';
import { age, shardOf } from './support/shards.ts';
import { openEvents } from './support/socket.ts';

async function view(tok: string, path: string): Promise<Response> {
  return call(path, authed(tok, 'GET'));
}

describe('reaping (alarms)', () => {
  it('a session that never connects fails with connect_timeout and the node is told', async () => {
    const { tok, session, nodeId } = await negotiatingSession();
    expect(await runDurableObjectAlarm(shardOf(session.sessionId))).toBe(true);
    expect(((await (await view(tok, session.links.self)).json()) as SessionView).state).toBe(
      'negotiating',
    );
    await age(session.sessionId, 61_000);
    expect(await runDurableObjectAlarm(shardOf(session.sessionId))).toBe(true);
    const after = (await (await view(tok, session.links.self)).json()) as SessionView;
    expect(after).toMatchObject({ state: 'failed', reason: 'connect_timeout' });
    const deletes = (await nodeRequests(nodeId)).filter((r) => r.method === 'DELETE');
    expect(deletes.map((r) => r.path)).toEqual([
      `/internal/v1/sessions/${session.sessionId}?reason=connect_timeout`,
    ]);
  });

  it('a connected session with no activity fails with idle; ended sessions are deleted later', async () => {
    const { tok, session, nodeId } = await negotiatingSession();
    await nodeEvents(nodeId, [{ sessionId: session.sessionId, type: 'state', state: 'connected' }]);
    await age(session.sessionId, 10 * 60_000);
    await runDurableObjectAlarm(shardOf(session.sessionId));
    expect(((await (await view(tok, session.links.self)).json()) as SessionView).state).toBe(
      'connected',
    );
    await age(session.sessionId, 21 * 60_000);
    await runDurableObjectAlarm(shardOf(session.sessionId));
    expect(await (await view(tok, session.links.self)).json()).toMatchObject({
      state: 'failed',
      reason: 'idle',
    });
    await age(session.sessionId, 61 * 60_000);
    await runDurableObjectAlarm(shardOf(session.sessionId));
    expect((await view(tok, session.links.self)).status).toBe(404);
  });
});

describe('restart durability', () => {
  it('sessions, counts and events survive a new Durable Object instance', async () => {
    const { tok, session } = await negotiatingSession();
    const candidates = { candidates: [{ candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host' }] };
    expect((await call(session.links.candidates, authed(tok, 'POST', candidates))).status).toBe(
      204,
    );
    // What the shard stores survives; `stats` are live, asked of the node on each read.
    const stored = async () => {
      const { stats, ...rest } = (await (
        await view(tok, session.links.self)
      ).json()) as SessionView;
      expect(stats).not.toBeNull();
      return rest;
    };
    const before = await stored();
    await evictDurableObject(shardOf(session.sessionId));
    const after = await stored();
    expect(after).toEqual(before);
    expect(after).toMatchObject({ state: 'negotiating', iceCandidates: 1 });
    const events = await runInDurableObject(shardOf(session.sessionId), (_i, state) =>
      state.storage.sql
        .exec('SELECT seq FROM events WHERE session_id = ?', session.sessionId)
        .toArray(),
    );
    expect(events).toEqual([{ seq: 1 }]);
  });

  it('registered nodes survive a registry restart', async () => {
    const nodeId = uid('node');
    await heartbeat(nodeId);
    await evictDurableObject(env.NODE_REGISTRY.getByName('global'));
    const tok = await token(uid('dev'));
    expect((await createSession(tok)).node.id).toBe(nodeId);
  });
});

describe('idle reaping and socket frames', () => {
  it('pings answered by the runtime keep a connected session from going idle, without writes', async () => {
    const { tok, session, nodeId } = await negotiatingSession();
    await nodeEvents(nodeId, [{ sessionId: session.sessionId, type: 'state', state: 'connected' }]);
    const client = await openEvents(session.links.events, tok);
    await age(session.sessionId, 31 * 60_000);
    client.ws.send(PING_FRAME);
    await client.until((f) => f.some((x) => x.type === 'pong'));
    await runDurableObjectAlarm(shardOf(session.sessionId));
    expect(((await (await view(tok, session.links.self)).json()) as SessionView).state).toBe(
      'connected',
    );
    client.ws.close(1000, 'done');
    await age(session.sessionId, 31 * 60_000);
    await runDurableObjectAlarm(shardOf(session.sessionId));
    expect(await (await view(tok, session.links.self)).json()).toMatchObject({
      state: 'failed',
      reason: 'idle',
    });
  });
});
