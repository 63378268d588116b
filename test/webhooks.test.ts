/**
 * Issue 17, webhooks, on the real stack (workerd + media nodes + werift clients): a receiver
 * started here (127.0.0.1) verifies every delivery with the `standardwebhooks` library, an
 * implementation independent of the edge's, and
 *   1. gets every event type of a werift room's life, in the room's order (and the delivery
 *      latency, event -> receiver, is measured);
 *   2. stopped for 30 s (while rooms live and end, a node drains and another is killed -9),
 *      gets everything afterwards: nothing lost, per-room order kept;
 *   3. gets everything queued before a restart of workerd (the Durable Objects' storage
 *      persists in the stack's directory), delivered by the restarted edge.
 * Backoff is shortened (200 ms doubling to 2 s) so recovery takes seconds, not minutes.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { MediaApi } from '../client/api.ts';
import type { Child } from '../scripts/stack/child.ts';
import { ROOT } from '../scripts/stack/stack.ts';
import { waitHttpOk } from '../scripts/stack/wait.ts';
import { startWorkerdEdge } from '../scripts/stack/workerd-edge.ts';
import { pairInRoom } from './support/failover.ts';
import { freePorts } from './support/free-port.ts';
import { startTestStack, type TestStack } from './support/stack.ts';
import { WebhookReceiver } from './support/webhook-receiver.ts';
import type { WeriftParticipant } from './support/werift-participant.ts';

const SECRET = `whsec_${Buffer.from('cross-service-webhook-secret-32b').toString('base64')}`;
const OUTAGE_MS = 30_000;
let stack: TestStack;
let receiver: WebhookReceiver;
let edge: Child | undefined;
let restartedEdge: Child | undefined;
let edgeVars: Record<string, string>;
const participants: WeriftParticipant[] = [];

beforeAll(async () => {
  const [receiverPort] = await freePorts(1);
  receiver = new WebhookReceiver(SECRET, receiverPort ?? 0);
  await receiver.start();
  edgeVars = {
    WEBHOOK_URLS: receiver.url,
    WEBHOOK_SECRET: SECRET,
    WEBHOOK_BACKOFF_BASE_MS: '200',
    WEBHOOK_BACKOFF_MAX_MS: '1000',
  };
  // Four nodes: two of them are drained and killed -9 in the outage test.
  stack = await startTestStack({
    nodes: 4,
    edgeVars,
    onChild: (child) => {
      if (child.name === 'edge') edge = child;
    },
  });
});

afterEach(async (context) => {
  if (context.task.result?.state === 'fail') console.error(await stack.logTail(60));
});

afterAll(async () => {
  await Promise.allSettled(participants.map((p) => p.leave()));
  await restartedEdge?.stop('SIGTERM', 5_000);
  await stack?.teardown();
  await receiver?.stop();
});

async function admin(): Promise<string> {
  return stack.token({ device: 'ops', admin: true });
}

/** `count` sessions in `room` created then all closed: the room starts and finishes once. */
async function sessionsInRoom(room: string, count: number): Promise<string[]> {
  const api = new MediaApi({
    baseUrl: stack.edgeUrl,
    token: await stack.token({ device: `dev-${room}` }),
  });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await api.createSession({ room })).sessionId);
  for (const id of ids) await api.deleteSession(id);
  return ids;
}

function roomLifecycle(count: number): string[] {
  return [
    'room.started',
    ...Array<string>(count).fill('session.created'),
    ...Array<string>(count).fill('session.ended'),
    'room.finished',
  ];
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

describe('webhooks from the real stack', () => {
  it("delivers every event of a werift room's life, verified, in the room's order", async () => {
    const room = 'hooks-room';
    const [a, b] = await pairInRoom(stack, room, 'webhooks');
    participants.push(a, b);
    const sessions = [a.sessionId(), b.sessionId()];
    await a.leave();
    await b.leave();
    // More samples for the latency figure: sessions that are created and closed.
    await sessionsInRoom('hooks-latency', 20);
    await expect
      .poll(() => receiver.roomTypes(room).at(-1), { timeout: 10_000 })
      .toBe('room.finished');
    await expect
      .poll(() => receiver.roomTypes('hooks-latency').length, { timeout: 10_000 })
      .toBe(42);
    const types = receiver.roomTypes(room);
    expect(types[0]).toBe('room.started');
    for (const session of sessions) {
      const own = receiver
        .unique()
        .filter((e) => e.data.sessionId === session)
        .map((e) => e.type);
      // Audio and video published, then unpublished when the session ended.
      expect(own).toEqual([
        'session.created',
        'session.connected',
        'participant.joined',
        ...own.filter((t) => t === 'track.published'),
        ...own.filter((t) => t === 'track.unpublished'),
        'participant.left',
        'session.ended',
      ]);
      expect(own.filter((t) => t === 'track.published')).toHaveLength(2);
      expect(own.filter((t) => t === 'track.unpublished')).toHaveLength(2);
    }
    const ended = receiver.unique().find((e) => e.type === 'session.ended');
    expect(ended?.data).toMatchObject({ state: 'closed', reason: 'closed_by_client' });
    expect(receiver.refused).toEqual([]);

    const latencies = receiver
      .unique()
      .map((e) => e.arrivedAt - e.at)
      .sort((x, y) => x - y);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    console.log(
      `webhook delivery latency (event -> receiver), ${latencies.length} events: p50 ${p50} ms, p99 ${p99} ms, max ${latencies.at(-1)} ms`,
    );
    expect(p50).toBeLessThan(1_000);
  });

  it('a receiver stopped for 30 s gets everything afterwards, per-room order kept; node.draining and node.lost', async () => {
    const [drain, kill] = stack.nodes.slice(2);
    if (!drain || !kill) throw new Error('the stack has fewer than 4 nodes');
    const [draining, killed] = [drain.child, kill.child];
    const before = receiver.arrivals.length;
    await receiver.stop();
    const stoppedAt = Date.now();
    // While it is down: two rooms live and end, one node drains and exits, one is killed.
    const rooms = { x: 'outage-x', y: 'outage-y' };
    const [xs, ys] = await Promise.all([sessionsInRoom(rooms.x, 6), sessionsInRoom(rooms.y, 4)]);
    draining.signal('SIGTERM');
    killed.signal('SIGKILL');
    expect((await killed.exited).signal).toBe('SIGKILL');
    await draining.exited;
    // The backlog shows in the metrics while the receiver is away.
    const metrics = await (
      await fetch(`${stack.edgeUrl}/api/media/metrics`, {
        headers: { authorization: `Bearer ${await admin()}` },
      })
    ).text();
    const depth = [...metrics.matchAll(/^media_edge_webhooks_queue_depth\{[^}]*\} (\d+)/gm)]
      .map((m) => Number(m[1]))
      .reduce((x, y) => x + y, 0);
    expect(depth).toBeGreaterThanOrEqual(xs.length * 2 + ys.length * 2 + 4);
    // The kill -9 is noticed after HEARTBEAT_TIMEOUT_MS (9 s), well within the outage.
    await new Promise((r) => setTimeout(r, Math.max(0, stoppedAt + OUTAGE_MS - Date.now())));
    expect(receiver.arrivals.length).toBe(before);
    await receiver.start();
    const restartedAt = Date.now();
    const [drainId, killId] = [drain.id, kill.id];
    const nodeEvents = (id: string) =>
      receiver
        .unique()
        .filter((e) => e.data.nodeId === id && e.type.startsWith('node.'))
        .map((e) => `${e.type}:${String(e.data.reason ?? '')}`);
    await expect
      .poll(() => receiver.roomTypes(rooms.x), { timeout: 15_000 })
      .toEqual(roomLifecycle(xs.length));
    await expect
      .poll(() => receiver.roomTypes(rooms.y), { timeout: 5_000 })
      .toEqual(roomLifecycle(ys.length));
    // Sessions in the order they were created, and ended in the order they were closed.
    for (const [room, ids] of [
      [rooms.x, xs],
      [rooms.y, ys],
    ] as const) {
      const seen = receiver
        .unique()
        .filter((e) => e.data.room === room && e.type.startsWith('session.'));
      expect(seen.filter((e) => e.type === 'session.created').map((e) => e.data.sessionId)).toEqual(
        ids,
      );
      expect(seen.filter((e) => e.type === 'session.ended').map((e) => e.data.sessionId)).toEqual(
        ids,
      );
    }
    await expect
      .poll(() => nodeEvents(drainId), { timeout: 10_000 })
      .toEqual(['node.draining:', 'node.lost:node_shutdown']);
    await expect
      .poll(() => nodeEvents(killId), { timeout: 10_000 })
      .toEqual(['node.lost:node_lost']);
    console.log(`backlog after the 30 s outage delivered in ${Date.now() - restartedAt} ms`);
    expect(receiver.refused).toEqual([]);
  });

  it('workerd restarted with a backlog queued loses nothing', async () => {
    await receiver.stop();
    const room = 'restart-room';
    const ids = await sessionsInRoom(room, 5);
    if (!edge) throw new Error('no edge child');
    await edge.stop('SIGTERM', 5_000);
    restartedEdge = await startWorkerdEdge({
      root: ROOT,
      host: '127.0.0.1',
      port: Number(new URL(stack.edgeUrl).port),
      distDir: inject('edgeDist'),
      workDir: stack.workDir,
      vars: edgeVars,
      log: { file: join(stack.workDir, 'edge-restarted.log') },
    });
    await waitHttpOk(`${stack.edgeUrl}/healthz`, { timeoutMs: 30_000 });
    await receiver.start();
    await expect
      .poll(() => receiver.roomTypes(room), { timeout: 15_000 })
      .toEqual(roomLifecycle(ids.length));
    const created = receiver
      .unique()
      .filter((e) => e.data.room === room && e.type === 'session.created');
    expect(created.map((e) => e.data.sessionId)).toEqual(ids);
    expect(receiver.refused).toEqual([]);
  });
});
