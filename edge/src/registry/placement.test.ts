import { describe, expect, it } from 'vitest';
import type { NodeRecord } from './node-record.ts';
import { loadOf, place } from './placement.ts';

const node = (id: string, over: Partial<NodeRecord> = {}, sessions = 0): NodeRecord => ({
  id,
  url: `http://${id}`,
  region: 'r',
  state: 'ready',
  startedAt: 1,
  lastSeen: 1_000,
  load: { sessions, rooms: 0, maxSessions: 10, eventLoopLagMs: 0 },
  pending: 0,
  ...over,
});
const NOW = 1_000;
const TIMEOUT = 15_000;

describe('placement', () => {
  it('picks the least loaded ready node, pending placements included', () => {
    expect(place([node('a', {}, 5), node('b', {}, 3)], undefined, NOW, TIMEOUT)).toMatchObject({
      node: { id: 'b' },
    });
    expect(
      place([node('a', {}, 5), node('b', { pending: 3 }, 3)], undefined, NOW, TIMEOUT),
    ).toMatchObject({
      node: { id: 'a' },
    });
  });

  it('skips draining, silent and full nodes', () => {
    const nodes = [
      node('a', { state: 'draining' }),
      node('b', { lastSeen: NOW - TIMEOUT - 1 }),
      node('c', {}, 10),
      node('d', {}, 9),
    ];
    expect(place(nodes, undefined, NOW, TIMEOUT)).toMatchObject({ ok: true, node: { id: 'd' } });
    expect(place(nodes.slice(0, 3), undefined, NOW, TIMEOUT)).toMatchObject({
      ok: false,
      code: 'capacity_exceeded',
    });
    expect(place(nodes.slice(0, 2), undefined, NOW, TIMEOUT)).toMatchObject({
      ok: false,
      code: 'no_media_node',
    });
    expect(place([], undefined, NOW, TIMEOUT)).toMatchObject({ ok: false, code: 'no_media_node' });
  });

  it('keeps a room on its node, refusing newcomers while that node drains or is full', () => {
    const nodes = [node('a', {}, 8), node('b')];
    expect(place(nodes, 'a', NOW, TIMEOUT)).toMatchObject({ node: { id: 'a' } });
    expect(place([node('a', { state: 'draining' }), node('b')], 'a', NOW, TIMEOUT)).toMatchObject({
      code: 'draining',
    });
    expect(place([node('a', {}, 10), node('b')], 'a', NOW, TIMEOUT)).toMatchObject({
      code: 'capacity_exceeded',
    });
    // A room whose node is gone starts over wherever placement says.
    expect(place(nodes, 'gone', NOW, TIMEOUT)).toMatchObject({ node: { id: 'b' } });
  });

  it("uses the least busy worker's share when workers are reported", () => {
    const workers = [
      { id: 0, sessions: 4, rooms: 0, cpu: 0.2 },
      { id: 1, sessions: 0, rooms: 0, cpu: 0.9 },
    ];
    const n = node('a', {
      load: { sessions: 4, rooms: 0, maxSessions: 10, eventLoopLagMs: 0, workers },
    });
    expect(loadOf(n)).toBeCloseTo(0.8);
    expect(loadOf(node('b', {}, 4))).toBeCloseTo(0.4);
  });
});
