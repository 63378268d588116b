import { evictDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../shared/events.ts';
import {
  CLOSE_RESUME_GAP,
  CLOSE_SESSION_ENDED,
  CLOSE_SLOW_CONSUMER,
  EVENT_LOG_LIMIT,
  EVENT_QUEUE_LIMIT,
} from '../../shared/limits.ts';
import { authed, call, negotiatingSession, nodeEvents, token, uid } from './support/edge.ts';
import { keptEvents, shardOf } from './support/shards.ts';
import { closedWithin, openEvents } from './support/socket.ts';

const events = (frames: unknown[]) =>
  frames.filter((f): f is SessionEvent => typeof (f as SessionEvent).seq === 'number');

function candidateEvents(sessionId: string, n: number) {
  return Array.from({ length: n }, (_, i) => ({
    sessionId,
    type: 'candidate' as const,
    candidate: { candidate: `candidate:${i} 1 udp 1 127.0.0.1 ${50000 + i} typ host`, sdpMid: '0' },
  }));
}

describe('event WebSocket', () => {
  it('streams numbered events from the start (header or query token) and answers ping', async () => {
    const { tok, session, nodeId } = await negotiatingSession();
    const client = await openEvents(session.links.events, tok, true);
    await client.until((f) => events(f).length === 1);
    expect(events(client.frames)[0]).toMatchObject({
      seq: 1,
      type: 'state',
      state: 'negotiating',
      sessionId: session.sessionId,
    });
    await nodeEvents(nodeId, [
      { sessionId: session.sessionId, type: 'state', state: 'connected' },
      { sessionId: session.sessionId, type: 'offer', sdp: 'v=0 renegotiate' },
    ]);
    await client.until((f) => events(f).length === 3);
    expect(events(client.frames).map((e) => [e.seq, e.type])).toEqual([
      [1, 'state'],
      [2, 'state'],
      [3, 'offer'],
    ]);
    client.send({ type: 'ping' });
    await client.until((f) => f.some((x) => x.type === 'pong'));
    expect(client.frames.find((x) => x.type === 'pong')).toEqual({ type: 'pong' });
    client.ws.close(1000, 'done');
  });

  it("relays the node's speaker events (and null once nobody speaks); refuses a malformed one", async () => {
    const { tok, session, nodeId } = await negotiatingSession();
    const client = await openEvents(session.links.events, tok);
    const speaker = { participantSessionId: 'someone-else', deviceId: 'dev-talker' };
    expect(
      (await nodeEvents(nodeId, [{ sessionId: session.sessionId, type: 'speaker', ...speaker }]))
        .status,
    ).toBe(204);
    const nobody = { participantSessionId: null, deviceId: null };
    await nodeEvents(nodeId, [{ sessionId: session.sessionId, type: 'speaker', ...nobody }]);
    await client.until((f) => events(f).length === 3);
    expect(events(client.frames).slice(1)).toEqual([
      expect.objectContaining({ seq: 2, type: 'speaker', ...speaker }),
      expect.objectContaining({ seq: 3, type: 'speaker', ...nobody }),
    ]);
    const malformed = { sessionId: session.sessionId, type: 'speaker', participantSessionId: 7 };
    const refused = await nodeEvents(nodeId, [malformed as never]);
    expect(refused.status).toBe(400);
    client.ws.close(1000, 'done');
  });

  it('resumes with ?since=<seq> without losing or repeating events', async () => {
    const { tok, session, nodeId } = await negotiatingSession();
    const first = await openEvents(session.links.events, tok);
    await nodeEvents(nodeId, candidateEvents(session.sessionId, 3));
    await first.until((f) => events(f).length === 4);
    first.ws.close(1000, 'network change');
    await nodeEvents(nodeId, candidateEvents(session.sessionId, 2));
    const second = await openEvents(`${session.links.events}?since=2`, tok);
    await second.until((f) => events(f).length === 4);
    expect(events(second.frames).map((e) => e.seq)).toEqual([3, 4, 5, 6]);
    second.ws.close(1000, 'done');
  });

  it('keeps the newest events only, and closes a resume from before them with 4009', async () => {
    const { tok, session, nodeId } = await negotiatingSession();
    // 1 state event + 1,100 candidates: seq 1..1101, of which the newest 1,024 are kept.
    for (let sent = 0; sent < 1_100; sent += 400) {
      const n = Math.min(400, 1_100 - sent);
      await nodeEvents(nodeId, candidateEvents(session.sessionId, n));
    }
    const lastSeq = 1_101;
    expect(await keptEvents(session.sessionId)).toEqual({
      n: EVENT_LOG_LIMIT,
      min: lastSeq - EVENT_LOG_LIMIT + 1,
      max: lastSeq,
    });
    const kept = await openEvents(
      `${session.links.events}?since=${lastSeq - EVENT_LOG_LIMIT}`,
      tok,
    );
    await kept.until((f) => events(f).length === EVENT_QUEUE_LIMIT);
    expect(events(kept.frames)[0]?.seq).toBe(lastSeq - EVENT_LOG_LIMIT + 1);
    kept.ws.close(1000, 'done');
    const stale = await openEvents(`${session.links.events}?since=1`, tok);
    const closed = await closedWithin(stale);
    expect(closed.code).toBe(CLOSE_RESUME_GAP);
    expect(closed.reason).toMatch(/rejoin/);
    expect(events(stale.frames)).toEqual([]);
  });

  it('a socket survives its shard hibernating: the cursor lives in the socket attachment', async () => {
    const { tok, session, nodeId } = await negotiatingSession();
    const client = await openEvents(session.links.events, tok);
    await client.until((f) => events(f).length === 1);
    await evictDurableObject(shardOf(session.sessionId));
    await nodeEvents(nodeId, candidateEvents(session.sessionId, 2));
    await client.until((f) => events(f).length === 3);
    expect(events(client.frames).map((e) => e.seq)).toEqual([1, 2, 3]);
    client.ws.close(1000, 'done');
  });

  it('closes with 4000 after the closed event when the session ends', async () => {
    const { tok, session } = await negotiatingSession();
    const client = await openEvents(session.links.events, tok);
    await call(session.links.self, authed(tok, 'DELETE'));
    const closed = await closedWithin(client);
    expect(closed.code).toBe(CLOSE_SESSION_ENDED);
    expect(events(client.frames).slice(-2)).toMatchObject([
      { type: 'state', state: 'closed', reason: 'closed_by_client' },
      { type: 'closed', reason: 'closed_by_client' },
    ]);
  });

  it('sends at most 256 unacknowledged events and closes a consumer stalled past 1 s with 4008', async () => {
    const { tok, session, nodeId } = await negotiatingSession();
    const client = await openEvents(session.links.events, tok);
    await nodeEvents(nodeId, candidateEvents(session.sessionId, 300));
    await client.until((f) => events(f).length === EVENT_QUEUE_LIMIT);
    await new Promise((r) => setTimeout(r, 150));
    // The window holds: nothing past acked (0) + 256 was sent.
    expect(events(client.frames).length).toBe(EVENT_QUEUE_LIMIT);
    await new Promise((r) => setTimeout(r, 1_000));
    await nodeEvents(nodeId, candidateEvents(session.sessionId, 1));
    const closed = await closedWithin(client);
    expect(closed.code).toBe(CLOSE_SLOW_CONSUMER);
    expect(closed.reason).toMatch(/slow consumer/);
  });

  it('a consumer that acks keeps receiving everything', async () => {
    const { tok, session, nodeId } = await negotiatingSession();
    const client = await openEvents(session.links.events, tok);
    await nodeEvents(nodeId, candidateEvents(session.sessionId, 400));
    await client.until((f) => events(f).length >= EVENT_QUEUE_LIMIT);
    client.send({ type: 'ack', seq: events(client.frames).at(-1)?.seq ?? 0 });
    await client.until((f) => events(f).length === 401, 5_000);
    expect(events(client.frames).map((e) => e.seq)).toEqual(
      Array.from({ length: 401 }, (_, i) => i + 1),
    );
    client.ws.close(1000, 'done');
  });

  it('closes on an invalid frame (1008) and refuses non-upgrade requests (400)', async () => {
    const { tok, session } = await negotiatingSession();
    const client = await openEvents(session.links.events, tok);
    client.send({ type: 'subscribe' });
    expect((await closedWithin(client)).code).toBe(1008);
    const plain = await call(session.links.events, authed(tok, 'GET'));
    expect(plain.status).toBe(400);
    const noToken = await call(session.links.events, { headers: { upgrade: 'websocket' } });
    expect(noToken.status).toBe(401);
    const stranger = await call(`${session.links.events}?access_token=${await token(uid('dev'))}`, {
      headers: { upgrade: 'websocket' },
    });
    expect(stranger.status).toBe(403);
  });
});
