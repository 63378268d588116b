/**
 * PlacerCore in Node with fake storage and registry, and the real rule (shared/placement.ts):
 * rooms stay on their node instance, capacity is admitted from the placer's share then the
 * registry's pool, refusals carry their code and Retry-After, `match` tells region from nearest.
 */
import { describe, expect, it } from 'vitest';
import { MediaError } from '../../../shared/errors.ts';
import { greatCircleKm } from '../../../shared/geo.ts';
import { pickNode } from '../../../shared/placement.ts';
import type { NodeRecord } from '../registry/node-record.ts';
import { Reservations } from './capacity-quota.ts';
import {
  type PlacerConfig,
  PlacerCore,
  type RoomAssignment,
  type RoomRepo,
} from './placer-core.ts';

const NOW = 10_000;
const config: PlacerConfig = {
  HEARTBEAT_TIMEOUT_MS: 9_000,
  PENDING_OFFER_TIMEOUT_MS: 2_000,
  SHARD_COUNT: 4,
};

function node(id: string, over: Partial<NodeRecord> = {}, sessions = 0, max = 40): NodeRecord {
  return {
    id,
    url: `http://${id}`,
    region: 'eu',
    latitude: 50.11,
    longitude: 8.68,
    state: 'ready',
    startedAt: 1,
    lastSeen: NOW - 1_000,
    load: { sessions, rooms: 0, maxSessions: max, eventLoopLagMs: 0 },
    ...over,
  };
}

class MapRooms implements RoomRepo {
  readonly rows = new Map<string, RoomAssignment & { members: number }>();
  get(room: string) {
    return this.rows.get(room);
  }
  join(room: string, a: RoomAssignment) {
    const row = this.rows.get(room);
    const same = row && row.nodeId === a.nodeId && row.startedAt === a.startedAt;
    const members = same ? row.members + 1 : 1;
    this.rows.set(room, { ...a, members });
    return members === 1;
  }
  leave(room: string) {
    const row = this.rows.get(room);
    if (!row) return undefined;
    if (row.members > 1) {
      row.members--;
      return undefined;
    }
    this.rows.delete(room);
    return row.nodeId;
  }
  dropNode(nodeId: string, startedAt: number) {
    const dropped: string[] = [];
    for (const [room, a] of this.rows) {
      if (a.nodeId === nodeId && a.startedAt === startedAt) {
        this.rows.delete(room);
        dropped.push(room);
      }
    }
    return dropped;
  }
}

function setup(nodes: NodeRecord[], pool = { grant: true }) {
  const rooms = new MapRooms();
  const counted: string[] = [];
  const pooled: string[] = [];
  const events: string[] = [];
  const core = new PlacerCore({
    nodes: async () => nodes,
    rooms,
    events: {
      started: (room, nodeId) => events.push(`started ${room} ${nodeId}`),
      finished: (room, nodeId, reason) => events.push(`finished ${room} ${nodeId} ${reason}`),
    },
    reservations: new Reservations(),
    reservePooled: async (n) => {
      pooled.push(n.id);
      return pool.grant;
    },
    pick: (candidates, client) => pickNode(candidates, client, { slackKm: 300 }),
    distanceKm: greatCircleKm,
    counters: { count: (metric, label = '') => counted.push(`${metric}{${label}}`) },
    config,
  });
  return { core, rooms, counted, pooled, events };
}

async function refusal(p: Promise<unknown>): Promise<MediaError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof MediaError)) throw new Error(`expected a MediaError, got ${error}`);
  return error;
}

describe('PlacerCore', () => {
  it('places a private session by the rule and counts the match; no room row', async () => {
    const t = setup([node('a'), node('b')]);
    const placed = await t.core.place('p-x', null, NOW);
    expect(placed).toEqual({ id: 'a', region: 'eu', url: 'http://a', distanceKm: null });
    expect(t.rooms.rows.size).toBe(0);
    expect(t.counted).toEqual(['placements{fallback}']);
  });

  it('the nearest node is a region match; with it draining, the next nearest is nearest', async () => {
    const frankfurt = node('fra');
    const t = setup([frankfurt, node('nyc', { region: 'us', latitude: 40.71, longitude: -74.01 })]);
    const paris = { lat: 48.86, lon: 2.35 };
    expect(await t.core.place('p-1', paris, NOW)).toMatchObject({ id: 'fra', distanceKm: 478 });
    frankfurt.state = 'draining';
    expect((await t.core.place('p-2', paris, NOW)).id).toBe('nyc');
    expect(t.counted).toEqual(['placements{region}', 'placements{nearest}']);
  });

  it('keeps a room on its node and measures each member from its own location', async () => {
    const t = setup([node('a'), node('b', { latitude: -33.87, longitude: 151.21 })]);
    const first = await t.core.place('stage', { lat: 48.86, lon: 2.35 }, NOW);
    expect(first.id).toBe('a');
    const later = await t.core.place('stage', { lat: -33.9, lon: 151.2 }, NOW);
    expect(later.id).toBe('a');
    expect(later.distanceKm).toBeGreaterThan(16_000); // this member's distance, whole km
    expect(Number.isInteger(later.distanceKm)).toBe(true);
    expect(t.rooms.rows.get('stage')).toMatchObject({ nodeId: 'a', members: 2 });
    // Joins are not placements: one decision counted.
    expect(t.counted).toEqual(['placements{region}']);
  });

  it('admits this placer its share, then the pool, then refuses capacity_exceeded', async () => {
    // 10 free slots, 4 placers: a share of 2 here, a pool of 2 at the registry.
    const t = setup([node('a', {}, 30, 40)], { grant: true });
    await t.core.place('p-1', null, NOW);
    await t.core.place('p-2', null, NOW);
    expect(t.pooled).toEqual([]);
    await t.core.place('p-3', null, NOW);
    expect(t.pooled).toEqual(['a']);
    const full = setup([node('a', {}, 38, 40)], { grant: false });
    const e = await refusal(full.core.place('p-1', null, NOW));
    expect(e).toMatchObject({ code: 'capacity_exceeded', retryAfterSeconds: 5 });
    expect(full.pooled).toEqual(['a']);
    expect(full.counted).toEqual(['placements_refused{capacity_exceeded}']);
  });

  it('a new heartbeat (lastSeen) or the pending timeout ends this placer reservations', async () => {
    const a = node('a', {}, 36, 40); // share 1, pool 0
    const t = setup([a], { grant: false });
    await t.core.place('p-1', null, NOW);
    expect((await refusal(t.core.place('p-2', null, NOW))).code).toBe('capacity_exceeded');
    expect((await t.core.place('p-3', null, NOW + 2_001)).id).toBe('a');
    a.lastSeen = NOW + 2_500; // a heartbeat counted what offered
    expect((await t.core.place('p-4', null, NOW + 2_600)).id).toBe('a');
  });

  it('a draining room node refuses newcomers; no node at all is no_media_node', async () => {
    const a = node('a');
    const t = setup([a, node('b', {}, 39)]);
    await t.core.place('stage', null, NOW);
    a.state = 'draining';
    expect(await refusal(t.core.place('stage', null, NOW))).toMatchObject({
      code: 'draining',
      retryAfterSeconds: 5,
    });
    expect((await t.core.place('p-1', null, NOW)).id).toBe('b');
    const none = setup([node('x', { state: 'draining' })]);
    expect((await refusal(none.core.place('p-1', null, NOW))).code).toBe('no_media_node');
  });

  it('a room whose node went silent or restarted, or was reported lost, starts over', async () => {
    const a = node('a');
    const t = setup([a, node('b', {}, 5)]);
    await t.core.place('stage', null, NOW);
    a.lastSeen = NOW - 9_001;
    expect((await t.core.place('stage', null, NOW)).id).toBe('b');
    expect(t.rooms.rows.get('stage')).toMatchObject({ nodeId: 'b', members: 1 });
    t.core.nodeLost('b', 1, 'node_lost');
    expect(t.rooms.rows.get('stage')).toBeUndefined();
    // Webhooks see the room start on a, start over on b, and finish with b's loss.
    expect(t.events).toEqual(['started stage a', 'started stage b', 'finished stage b node_lost']);
  });

  it('reports a room finished when its last member leaves, not before', async () => {
    const t = setup([node('a')]);
    await t.core.place('stage', null, NOW);
    await t.core.place('stage', null, NOW);
    t.core.release('stage');
    expect(t.events).toEqual(['started stage a']);
    t.core.release('stage');
    expect(t.events).toEqual(['started stage a', 'finished stage a empty']);
  });
});
