import { describe, expect, it } from 'vitest';
import type { Heartbeat } from '../../../shared/internal.ts';
import { applyHeartbeat, nextSweepAt, silentNodes } from './node-record.ts';

const hb = (over: Partial<Heartbeat> = {}): Heartbeat => ({
  nodeId: 'n1',
  url: 'http://127.0.0.1:30006/',
  region: 'eu',
  state: 'ready',
  startedAt: 100,
  load: { sessions: 2, rooms: 1, maxSessions: 50, eventLoopLagMs: 3 },
  ...over,
});

describe('heartbeats', () => {
  it('registers a node (url without trailing slash), with its location when it sends one', () => {
    const first = applyHeartbeat(undefined, hb(), 1_000);
    expect(first.lost).toBeNull();
    expect(first.record).toMatchObject({
      id: 'n1',
      url: 'http://127.0.0.1:30006',
      lastSeen: 1_000,
    });
    expect(first.record).not.toHaveProperty('latitude');
    const location = { latitude: 50.1, longitude: 8.7 };
    const again = applyHeartbeat(first.record!, hb({ location }), 2_000);
    expect(again).toMatchObject({ lost: null, record: { ...location, lastSeen: 2_000 } });
  });

  it('a new startedAt loses the previous instance', () => {
    const first = applyHeartbeat(undefined, hb(), 1_000).record!;
    const next = applyHeartbeat(first, hb({ startedAt: 200 }), 2_000);
    expect(next.lost).toEqual({ nodeId: 'n1', startedAt: 100, reason: 'node_lost' });
    expect(next.record?.startedAt).toBe(200);
  });

  it('stopped removes the node with node_shutdown', () => {
    const first = applyHeartbeat(undefined, hb(), 1_000).record!;
    expect(applyHeartbeat(first, hb({ state: 'stopped' }), 2_000)).toEqual({
      record: null,
      lost: { nodeId: 'n1', startedAt: 100, reason: 'node_shutdown' },
    });
  });

  it('finds nodes silent past the timeout', () => {
    const n = applyHeartbeat(undefined, hb(), 1_000).record!;
    expect(silentNodes([n], 16_000, 15_000)).toEqual([]);
    expect(silentNodes([n], 16_001, 15_000)).toEqual([
      { nodeId: 'n1', startedAt: 100, reason: 'node_lost' },
    ]);
  });

  it('sweeps next when the earliest node would turn silent', () => {
    const a = applyHeartbeat(undefined, hb(), 1_000).record!;
    const b = { ...a, id: 'n2', lastSeen: 4_000 };
    expect(nextSweepAt([b, a], 15_000)).toBe(16_001);
    expect(silentNodes([a], 16_001, 15_000)).toHaveLength(1); // due exactly then
    expect(nextSweepAt([], 15_000)).toBeNull();
  });
});
