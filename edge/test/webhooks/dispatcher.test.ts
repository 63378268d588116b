/**
 * Webhook delivery in the Workers runtime: the edge's events reach two receivers (Node, on
 * 127.0.0.1, verifying with the `standardwebhooks` library) through the dispatcher objects'
 * SQLite outbox and alarms. Backoff is shortened (50 ms doubling to 400 ms) by this project's
 * bindings (edge/vitest.config.mts).
 */
import { env, evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { describe, expect, inject, it } from 'vitest';
import {
  DISPATCHER_COUNT,
  dispatcherFor,
  dispatcherName,
  type WebhookEvent,
  webhookEvent,
} from '../../src/webhooks/events.ts';
import { roomKey } from '../../src/webhooks/session-hooks.ts';
import { authed, call, negotiatingSession, nodeEvents, token, uid } from '../support/edge.ts';
import type { ReceivedAttempt } from '../support/webhook-receiver.ts';

const receiver = () => `http://127.0.0.1:${inject('webhookPort')}`;

async function script(path: string, key: string, statuses: number[]): Promise<void> {
  const res = await fetch(`${receiver()}/control/script`, {
    method: 'POST',
    body: JSON.stringify({ path, key, statuses }),
  });
  expect(res.status).toBe(204);
}

async function received(key: string, path?: string): Promise<ReceivedAttempt[]> {
  const res = await fetch(`${receiver()}/control/log?key=${encodeURIComponent(key)}`);
  const all = (await res.json()) as ReceivedAttempt[];
  return path ? all.filter((a) => a.path === path) : all;
}

/** Types delivered (2xx) to `path` for `key`, in arrival order. */
async function delivered(key: string, path: string): Promise<string[]> {
  return (await received(key, path)).filter((a) => a.status === 200).map((a) => a.type);
}

function dispatcherOf(room: string) {
  return env.WEBHOOK_DISPATCHER.getByName(dispatcherName(dispatcherFor(roomKey(room))));
}

/** `n` numbered test events of `room` (room.started with a fake node id carrying the number). */
function roomEvents(room: string, n: number): WebhookEvent[] {
  return Array.from({ length: n }, (_, i) =>
    webhookEvent('room.started', roomKey(room), { room, nodeId: `n${i}` }, Date.now()),
  );
}

describe('webhook delivery', () => {
  it("a session's life reaches both receivers signed, once each, in the room's order", async () => {
    const room = uid('room');
    const { tok, session, nodeId, device } = await negotiatingSession({ room });
    const id = session.sessionId;
    await nodeEvents(nodeId, [
      { sessionId: id, type: 'state', state: 'connected' },
      {
        sessionId: id,
        type: 'track',
        action: 'added',
        trackId: 'v1',
        kind: 'video',
        publisherSessionId: id,
        publisherDeviceId: device,
      },
      {
        sessionId: id,
        type: 'track',
        action: 'removed',
        trackId: 'v1',
        kind: 'video',
        publisherSessionId: id,
        publisherDeviceId: device,
      },
    ]);
    expect((await call(`/api/media/sessions/${id}`, authed(tok, 'DELETE'))).status).toBe(204);
    const expected = [
      'room.started',
      'session.created',
      'session.connected',
      'participant.joined',
      'track.published',
      'track.unpublished',
      'participant.left',
      'session.ended',
      'room.finished',
    ];
    for (const path of ['/a', '/b']) {
      await expect.poll(() => delivered(room, path), { timeout: 5_000 }).toEqual(expected);
    }
    const attempts = await received(room, '/a');
    expect(attempts.every((a) => a.verified)).toBe(true);
    const ended = attempts.find((a) => a.type === 'session.ended');
    expect(ended?.body.data).toMatchObject({ sessionId: id, reason: 'closed_by_client' });
    // One delivery id per event, the same on both receivers.
    const idsA = attempts.map((a) => a.id);
    expect(new Set(idsA).size).toBe(expected.length);
    expect((await received(room, '/b')).map((a) => a.id)).toEqual(idsA);
  });

  it('retries failures via alarms with the same id; later events never overtake', async () => {
    const room = uid('room');
    await script('/a', room, [500, 503, 500]);
    const events = roomEvents(room, 4);
    const stub = dispatcherOf(room);
    await stub.enqueue(events);
    const ids = events.map((e) => e.id);
    await expect
      .poll(
        async () => (await received(room, '/a')).filter((a) => a.status === 200).map((a) => a.id),
        {
          timeout: 10_000,
        },
      )
      .toEqual(ids);
    const attempts = await received(room, '/a');
    // Three refusals of the first event, then each event once, in order.
    expect(attempts.map((a) => [a.id, a.status])).toEqual([
      [ids[0], 500],
      [ids[0], 503],
      [ids[0], 500],
      ...ids.map((i) => [i, 200]),
    ]);
    // /b was never refused: it was not held up by /a.
    expect((await received(room, '/b')).map((a) => a.id)).toEqual(ids);
    // The retries were spaced by the backoff: at least 25 + 50 + 100 ms (the jitter's floor).
    const times = attempts.slice(0, 4).map((a) => Number(a.timestamp));
    expect(times.at(-1)).toBeGreaterThanOrEqual(times[0] ?? 0);
  });

  it('keeps queued deliveries across an eviction of the object (storage, not memory)', async () => {
    const room = uid('room');
    // Refused long enough for the object to be evicted with its backlog.
    await script('/a', room, Array(12).fill(500));
    await script('/b', room, Array(12).fill(500));
    const events = roomEvents(room, 3);
    const stub = dispatcherOf(room);
    await stub.enqueue(events);
    await expect.poll(async () => (await received(room, '/a')).length).toBeGreaterThan(0);
    const queued = await runInDurableObject(stub, (_i, state) =>
      Number(state.storage.sql.exec('SELECT COUNT(*) AS n FROM outbox').one().n),
    );
    expect(queued).toBe(6);
    // The object loses its memory; what it had queued is delivered by the next instance.
    await evictDurableObject(stub);
    for (const path of ['/a', '/b']) {
      await expect
        .poll(
          async () => (await received(room, path)).filter((a) => a.status === 200).map((a) => a.id),
          {
            timeout: 10_000,
          },
        )
        .toEqual(events.map((e) => e.id));
    }
    // The first event's refusals span the eviction: its attempts went on, counted from storage.
    expect((await received(room, '/a')).filter((a) => a.status === 500)).toHaveLength(12);
  });

  it('a receiver answering 410 is disabled on every dispatcher, persisted; the other goes on', async () => {
    const room = uid('room');
    await script('/b', room, [410]);
    const stub = dispatcherOf(room);
    await stub.enqueue(roomEvents(room, 2));
    await expect.poll(() => delivered(room, '/a'), { timeout: 5_000 }).toHaveLength(2);
    await expect.poll(async () => (await received(room, '/b')).length).toBe(1);
    // Disabled in every dispatcher's storage, so a restart does not revive it.
    const url = `${receiver()}/b`;
    for (let i = 0; i < DISPATCHER_COUNT; i++) {
      const d = env.WEBHOOK_DISPATCHER.getByName(dispatcherName(i));
      await expect
        .poll(() =>
          runInDurableObject(d, (_i, state) =>
            state.storage.sql
              .exec('SELECT url FROM disabled')
              .toArray()
              .map((r) => r.url),
          ),
        )
        .toEqual([url]);
    }
    await evictDurableObject(stub);
    const later = roomEvents(room, 1);
    await stub.enqueue(later);
    await expect.poll(() => delivered(room, '/a'), { timeout: 5_000 }).toHaveLength(3);
    expect(await received(room, '/b')).toHaveLength(1);
    const text = await metricsText();
    // Both queued deliveries to /b were dropped with it; the later event was not queued for it.
    expect(text).toMatch(/media_edge_webhooks_failed_total\{reason="gone"\} 2\b/);
    expect(text).toMatch(/media_edge_webhooks_failed_total\{reason="disabled"\} 1\b/);
  });

  it('a full queue drops new events and says so in /metrics; depth and oldest age are shown', async () => {
    const room = uid('room');
    // Both receivers refuse for a while: the backlog stays. 40 deliveries fit (QUEUE_LIMIT).
    await script('/a', room, Array(50).fill(500));
    await script('/b', room, Array(50).fill(500));
    const stub = dispatcherOf(room);
    expect(await stub.enqueue(roomEvents(room, 15))).toEqual({ queued: 30, dropped: 0 });
    expect(await stub.enqueue(roomEvents(room, 10))).toEqual({ queued: 10, dropped: 10 });
    await new Promise((r) => setTimeout(r, 1_100));
    const text = await metricsText();
    const index = dispatcherFor(roomKey(room));
    expect(text).toMatch(/media_edge_webhooks_failed_total\{reason="queue_full"\} 10\b/);
    expect(text).toContain(`media_edge_webhooks_queue_depth{dispatcher="${index}"} 40`);
    const age = Number(
      text.match(
        new RegExp(`media_edge_webhooks_oldest_age_seconds\\{dispatcher="${index}"\\} ([0-9.]+)`),
      )?.[1],
    );
    expect(age).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/media_edge_webhooks_retried_total [1-9]/);
  });
});

async function metricsText(): Promise<string> {
  const tok = await token(uid('ops'), { admin: true });
  const res = await call('/api/media/metrics', authed(tok, 'GET'));
  expect(res.status).toBe(200);
  return res.text();
}
