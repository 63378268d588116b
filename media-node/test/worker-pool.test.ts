/**
 * Worker threads (`WORKERS=2`): rooms pinned to one worker each and spread over the workers,
 * media forwarded inside each room, per-worker load in the heartbeat and /metrics, the node's
 * metrics merged across threads, errors crossing the thread boundary unchanged, and a worker
 * that dies costing only its own sessions (node_lost events, a replacement worker).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleValue } from '../../test/support/prometheus.ts';
import { WorkerPool } from '../src/workers/worker-pool.ts';
import { pump, TestClient } from './helpers/test-client.ts';
import {
  eventually,
  hostCandidate,
  scrape,
  startTestNode,
  type TestNode,
} from './helpers/test-node.ts';

describe('worker threads', () => {
  let t: TestNode;
  let pool: WorkerPool;
  const clients: TestClient[] = [];
  const join = async (id: string, room: string, marker: number) => {
    const client = new TestClient(t, id, marker, { room });
    clients.push(client);
    await client.join();
    return client;
  };
  const receivesFrom = (me: TestClient, other: TestClient) =>
    me.count(other.marker, 'audio') > 5 && me.count(other.marker, 'video') > 5;

  beforeAll(async () => {
    t = await startTestNode({ WORKERS: '2', MAX_SESSIONS: '6', MAX_ICE_CANDIDATES: '2' });
    if (!(t.node.sessions instanceof WorkerPool)) throw new Error('expected a worker pool');
    pool = t.node.sessions;
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await t.close();
  });

  it('pins each room to one worker, spreads rooms over workers and forwards inside each', async () => {
    const [a1, a2] = [await join('a1', 'room-a', 1), await join('a2', 'room-a', 2)];
    const [b1, b2] = [await join('b1', 'room-b', 3), await join('b2', 'room-b', 4)];
    const stop = pump([a1, a2, b1, b2]);
    try {
      await eventually(
        () =>
          receivesFrom(a1, a2) &&
          receivesFrom(a2, a1) &&
          receivesFrom(b1, b2) &&
          receivesFrom(b2, b1),
        10_000,
        'media inside both rooms',
      );
    } finally {
      stop();
    }
    expect(a1.count(b1.marker, 'video')).toBe(0);
    const loads = pool.workerLoads();
    expect(loads.map((w) => [w.sessions, w.rooms])).toEqual([
      [2, 1],
      [2, 1],
    ]);

    const heartbeat = await t.edge.waitForHeartbeat(
      (hb) => hb.load.workers?.reduce((n, w) => n + w.sessions, 0) === 4,
    );
    expect(heartbeat.load.workers?.map((w) => w.id)).toEqual([0, 1]);
    for (const w of heartbeat.load.workers ?? []) expect(w.cpu).toBeLessThanOrEqual(1);

    // Node-level series are the node's, not the sum of threads; counters add up over threads.
    const m = await scrape(t);
    expect(sampleValue(m, 'media_active_sessions')).toBe(4);
    expect(sampleValue(m, 'media_rooms_active')).toBe(2);
    expect(sampleValue(m, 'media_room_top_participants', { rank: '1' })).toBe(2);
    expect(sampleValue(m, 'media_workers')).toBe(2);
    expect(sampleValue(m, 'media_worker_sessions', { worker: '0' })).toBe(2);
    expect(sampleValue(m, 'media_worker_sessions', { worker: '1' })).toBe(2);
    // Each member subscribes to the other's audio and video.
    expect(sampleValue(m, 'media_forwarder_subscribers', { path: 'fast' })).toBe(8);
    expect(sampleValue(m, 'media_srtp_backend', { backend: 'native' })).toBe(1);
    expect(sampleValue(m, 'media_sessions_created_total', { device_class: 'test' })).toBe(4);
    expect(sampleValue(m, 'media_rtp_packets_total', { direction: 'out' })).toBeGreaterThan(20);
    expect(sampleValue(m, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('returns the workers’ errors unchanged and enforces node-wide limits on the main thread', async () => {
    const tooMany = await t.api.request('POST', '/internal/v1/sessions/a1/candidates', {
      candidates: [hostCandidate(1), hostCandidate(2), hostCandidate(3)],
    });
    expect(tooMany.status).toBe(429);
    expect(tooMany.json.error).toMatchObject({ code: 'too_many_ice_candidates', limit: 2 });

    const unknown = await t.api.request('GET', '/internal/v1/sessions/nobody');
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('session_not_found');

    const view = await t.api.request('GET', '/internal/v1/sessions/a1');
    expect(view.status).toBe(200);
    expect(view.json).toMatchObject({ sessionId: 'a1', room: 'room-a' });
    const room = await t.api.request('GET', '/internal/v1/rooms/room-b');
    expect(room.json.participants).toHaveLength(2);

    const badSdp = await t.api.request('POST', '/internal/v1/sessions/c1/offer', {
      room: 'room-c',
      deviceId: 'test-c1',
      echo: false,
      sdp: 'v=0\r\n',
    });
    expect(badSdp.status).toBe(400);
    expect(pool.sessionCount).toBe(4);

    // MAX_SESSIONS=6 is the node's, over both workers.
    await join('c1', 'room-c', 5);
    await join('c2', 'room-c', 6);
    const full = new TestClient(t, 'c3', 7, { room: 'room-d' });
    clients.push(full);
    await expect(full.join()).rejects.toThrow(/503.*capacity_exceeded/);
    await t.api.request('DELETE', '/internal/v1/sessions/c2?reason=closed_by_client');
    await t.api.request('DELETE', '/internal/v1/sessions/c1?reason=closed_by_client');
    await eventually(() => pool.sessionCount === 4, 5_000, 'room-c closed');
  });

  it('a worker that dies fails only its own sessions with node_lost and is replaced', async () => {
    const [, , b1, b2] = clients as [TestClient, TestClient, TestClient, TestClient];
    const lostIndex = pool.workerOf('a1');
    expect(lostIndex).toBeDefined();
    expect(pool.workerOf('a2')).toBe(lostIndex);
    expect(pool.workerOf('b1')).not.toBe(lostIndex);
    const lostIds = ['a1', 'a2'];
    const dead = pool.thread(lostIndex ?? 0);
    await dead?.terminate();

    for (const id of lostIds) {
      await t.edge.waitForEvent(
        (e) => e.sessionId === id && e.type === 'closed' && e.reason === 'node_lost',
        5_000,
        `${id} node_lost`,
      );
    }
    expect(pool.sessionCount).toBe(2);
    const m = await scrape(t);
    expect(sampleValue(m, 'media_worker_restarts_total')).toBe(1);

    // The other room still forwards.
    const before = b2.count(b1.marker, 'video');
    const stop = pump([b1, b2]);
    try {
      await eventually(() => b2.count(b1.marker, 'video') > before + 5, 5_000, 'room-b media');
    } finally {
      stop();
    }
    // The replacement takes new rooms.
    expect(pool.workerLoads().map((w) => w.sessions)).toEqual(lostIndex === 0 ? [0, 2] : [2, 0]);
    const replaced = () => {
      const thread = pool.thread(lostIndex ?? 0);
      return thread !== undefined && thread !== dead;
    };
    await eventually(replaced, 10_000, 'a replacement worker');
    await join('d1', 'room-d', 8);
    expect(pool.workerOf('d1')).toBe(lostIndex);
  });
});
