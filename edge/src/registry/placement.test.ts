import { describe, expect, it } from 'vitest';
import type { NodeRecord } from './node-record.ts';
import { place } from './placement.ts';

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
      match: 'fallback',
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
    expect(place(nodes, 'a', NOW, TIMEOUT)).toMatchObject({ node: { id: 'a' }, match: 'room' });
    expect(place([node('a', { state: 'draining' }), node('b')], 'a', NOW, TIMEOUT)).toMatchObject({
      code: 'draining',
    });
    expect(place([node('a', {}, 10), node('b')], 'a', NOW, TIMEOUT)).toMatchObject({
      code: 'capacity_exceeded',
    });
    // A room whose node is gone (or silent) starts over wherever placement says.
    expect(place(nodes, 'gone', NOW, TIMEOUT)).toMatchObject({ node: { id: 'b' } });
    expect(
      place([node('a', { lastSeen: NOW - TIMEOUT - 1 }), node('b', {}, 5)], 'a', NOW, TIMEOUT),
    ).toMatchObject({ node: { id: 'b' } });
  });

  it('sends a located client to its nearest live node, within the slack by load', () => {
    const paris = node('par', { latitude: 48.86, longitude: 2.35 }, 5);
    const frankfurt = node('fra', { latitude: 50.11, longitude: 8.68 }, 1);
    const sydney = node('syd', { latitude: -33.87, longitude: 151.21 }, 0);
    const client = { lat: 48.9, lon: 2.4 };
    const nodes = [paris, frankfurt, sydney];
    expect(place(nodes, undefined, NOW, TIMEOUT, client)).toMatchObject({
      node: { id: 'par' },
      match: 'nearest',
    });
    expect(place(nodes, undefined, NOW, TIMEOUT, client, 600)).toMatchObject({
      node: { id: 'fra' },
    });
    const silentParis = { ...paris, lastSeen: NOW - TIMEOUT - 1 };
    expect(place([silentParis, sydney], undefined, NOW, TIMEOUT, client)).toMatchObject({
      node: { id: 'syd' },
    });
  });
});
