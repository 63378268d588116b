/**
 * The hand-off of webhook events from the objects that raise them (session shards, room placers)
 * to the dispatcher objects, in the Workers runtime: an event is stored in the raiser's own
 * outbox with the state change, and deleted only once a dispatcher acknowledged it. A hand-off
 * that fails (the dispatcher throws) is retried by the raiser's alarm; an event left behind by a
 * restart between commit and hand-off is handed over by the next instance. Receivers get every
 * event once, with its one delivery id, in the room's order.
 */
import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.ts';
import { type WebhookEvent, webhookEvent } from '../../src/webhooks/events.ts';
import { roomKey } from '../../src/webhooks/session-hooks.ts';
import { authed, call, negotiatingSession, token, uid } from '../support/edge.ts';
import { shardOf } from '../support/shards.ts';
import type { ReceivedAttempt } from '../support/webhook-receiver.ts';

const receiver = () => `http://127.0.0.1:${inject('webhookPort')}`;

async function received(key: string, path: string): Promise<ReceivedAttempt[]> {
  const res = await fetch(`${receiver()}/control/log?key=${encodeURIComponent(key)}`);
  return ((await res.json()) as ReceivedAttempt[]).filter((a) => a.path === path);
}

const original = WebhookDispatcher.prototype.enqueue;
afterEach(() => {
  WebhookDispatcher.prototype.enqueue = original;
});

/** Makes every dispatcher refuse hand-offs holding `key`'s events while `failing()` holds. */
function refuseWhile(key: string, failing: () => boolean): { refused: () => number } {
  let refused = 0;
  WebhookDispatcher.prototype.enqueue = async function (this: WebhookDispatcher, events) {
    if (failing() && events.some((e: WebhookEvent) => e.key === key)) {
      refused++;
      throw new Error('dispatcher unavailable (test)');
    }
    return original.call(this, events);
  };
  return { refused: () => refused };
}

async function metricsText(): Promise<string> {
  const tok = await token(uid('ops'), { admin: true });
  return (await call('/api/media/metrics', authed(tok, 'GET'))).text();
}

describe('webhook hand-off to the dispatchers', () => {
  it('a refused hand-off stays in the outbox and is delivered later, once, same ids, in order', async () => {
    const room = uid('room');
    let failing = true;
    const gate = refuseWhile(roomKey(room), () => failing);
    const { session, tok } = await negotiatingSession({ room });
    // Both raisers tried (the placer: room.started, the shard: session.created) and were refused.
    expect(gate.refused()).toBeGreaterThanOrEqual(2);
    const waiting = await runInDurableObject(shardOf(session.sessionId), (_i, state) =>
      state.storage.sql
        .exec('SELECT event FROM webhook_handoff')
        .toArray()
        .map((r) => (JSON.parse(String(r.event)) as WebhookEvent).type),
    );
    expect(waiting).toEqual(['session.created']);
    expect(await received(room, '/a')).toEqual([]);
    failing = false;
    // Nothing calls the objects again: their alarms hand the events over.
    await expect
      .poll(async () => (await received(room, '/a')).map((a) => a.type), { timeout: 10_000 })
      .toEqual(['room.started', 'session.created']);
    // Later events queue behind them as usual.
    expect(
      (await call(`/api/media/sessions/${session.sessionId}`, authed(tok, 'DELETE'))).status,
    ).toBe(204);
    const expected = ['room.started', 'session.created', 'session.ended', 'room.finished'];
    for (const path of ['/a', '/b']) {
      await expect
        .poll(async () => (await received(room, path)).map((a) => a.type), { timeout: 10_000 })
        .toEqual(expected);
    }
    const attempts = await received(room, '/a');
    expect(new Set(attempts.map((a) => a.id)).size).toBe(expected.length);
    expect((await received(room, '/b')).map((a) => a.id)).toEqual(attempts.map((a) => a.id));
    expect(attempts.every((a) => a.verified)).toBe(true);
    const left = await runInDurableObject(shardOf(session.sessionId), (_i, state) =>
      Number(state.storage.sql.exec('SELECT COUNT(*) AS n FROM webhook_handoff').one().n),
    );
    expect(left).toBe(0);
    const retried = Number(
      /media_edge_webhooks_handoff_retried_total (\d+)/.exec(await metricsText())?.[1] ?? 0,
    );
    expect(retried).toBeGreaterThanOrEqual(2);
  });

  it('an event committed but never handed over (the runtime restarted) is delivered by the next instance', async () => {
    const room = uid('room');
    const event = webhookEvent('room.started', roomKey(room), { room, nodeId: 'n-restart' }, 1);
    const shard = shardOf(uid('s'));
    // As a shard leaves it when it dies right after its commit: the row and the backstop alarm.
    await runInDurableObject(shard, async (_i, state) => {
      state.storage.sql.exec(
        'INSERT INTO webhook_handoff (event) VALUES (?)',
        JSON.stringify(event),
      );
      await state.storage.setAlarm(Date.now() + 200);
    });
    await evictDurableObject(shard);
    await expect
      .poll(async () => (await received(room, '/a')).map((a) => a.id), { timeout: 10_000 })
      .toEqual([event.id]);
  });
});
