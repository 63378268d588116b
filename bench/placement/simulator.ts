/**
 * Placement at internet scale, by simulation (`npm run bench:placement`). Pure: no I/O, seeded,
 * so a run is reproducible and unit-testable.
 *
 * Nodes sit in the 20 regions of `world.ts`, as many per region as its share of the clients
 * (at least `minNodesPerRegion`). Rooms arrive one after another; a room's first member comes
 * from a city drawn by population, each later member from the same city (or, with probability
 * `globalMemberShare`, from anywhere), jittered by up to `jitterKm`. Time counts joins: a room's
 * members join `memberSpacing` apart and the room ends an exponential time after its last join
 * (mean `utilization` x the total capacity, so that many sessions are open at steady state;
 * load is sampled after three mean lifetimes, at 95 % of that level).
 * Mid-run some nodes fail (their rooms are placed again at once, members in join order, as
 * clients that got `node_lost` rejoin) and some start draining (they keep their sessions and
 * take no new ones, rooms included).
 *
 * Every placement runs the edge's own rule from `shared/placement.ts`: `pickNode` for a room's
 * first member (with the client's location for `geo`, without it for `least-loaded`, which is
 * the rule's fallback: least loaded anywhere) and `placeInRoom` for the others. What it leaves
 * out: the edge's directory staleness (up to `NODE_DIRECTORY_MAX_AGE_MS`) and capacity shares
 * between placers; here every placement sees exact loads.
 */

import { seeded as rng } from '../../media-node/src/bwe/link-sim.ts';
import type { NodeState } from '../../shared/internal.ts';
import {
  type ClientLocation,
  greatCircleKm,
  type PlacementCandidate,
  pickNode,
  placeInRoom,
} from '../../shared/placement.ts';
import { CLIENT_CITIES, type ClientCity, REGIONS } from './world.ts';

export type Policy = 'geo' | 'least-loaded';

export interface SimConfig {
  nodes: number;
  joins: number;
  maxSessionsPerNode: number;
  /** Open sessions at steady state as a share of the total capacity. */
  utilization: number;
  slackKm: number;
  seed: number;
  minNodesPerRegion: number;
  /** Clients are up to this far from their city's centre, km. */
  jitterKm: number;
  /** Share of a room's later members who join from anywhere, not from the first member's city. */
  globalMemberShare: number;
  /** Time between two members' joins of one room, in joins. */
  memberSpacing: number;
  /** When (share of the run) a share of the ready nodes fails. */
  failures: readonly { at: number; share: number }[];
  /** When (share of the run) a share of the ready nodes starts draining. */
  drains: readonly { at: number; share: number }[];
}

export const DEFAULT_CONFIG: SimConfig = {
  nodes: 1_000,
  joins: 1_000_000,
  maxSessionsPerNode: 200,
  utilization: 0.6,
  slackKm: 300,
  seed: 1,
  minNodesPerRegion: 10,
  jitterKm: 300,
  globalMemberShare: 0.2,
  memberSpacing: 3,
  failures: [
    { at: 0.5, share: 0.02 },
    { at: 0.75, share: 0.02 },
  ],
  drains: [
    { at: 0.6, share: 0.02 },
    { at: 0.9, share: 0.02 },
  ],
};

export interface Percentiles {
  p50: number;
  p95: number;
  mean: number;
}

export interface SimResult {
  policy: Policy;
  joins: number;
  placed: number;
  /** Joins refused, by the edge's error code (re-placements after a failure not included). */
  refused: { capacity_exceeded: number; draining: number; no_media_node: number };
  /** Client to node, km, over every placed join. */
  distanceKm: Percentiles;
  /** The same over the joins that chose a room's node (its first member, or the first after a refusal). */
  firstMemberKm: Percentiles;
  match: Record<string, number>;
  /** Max over mean utilisation of the ready nodes, sampled through the steady part of the run. */
  loadSpread: { mean: number; max: number; samples: number };
  failover: {
    nodesFailed: number;
    sessionsAffected: number;
    roomsMoved: number;
    sessionsReplaced: number;
    sessionsRefused: number;
    /** Client to its new node, km. */
    distanceKm: Percentiles;
  };
  nodesDrained: number;
  /** Open sessions at the end of the warm-up (three mean lifetimes), share of the capacity. */
  steadyUtilization: number;
}

/** Index of the region site nearest a point. */
function nearestRegion(lat: number, lon: number): number {
  let best = 0;
  let bestKm = Number.POSITIVE_INFINITY;
  REGIONS.forEach((r, i) => {
    const km = greatCircleKm({ lat, lon }, r);
    if (km < bestKm) {
      best = i;
      bestKm = km;
    }
  });
  return best;
}

/**
 * Nodes per region: proportional to the population nearest each region, at least `min` each,
 * summing to `total` (largest remainders first).
 */
export function nodesPerRegion(total: number, min: number): number[] {
  const demand = REGIONS.map(() => 0);
  for (const c of CLIENT_CITIES) {
    const i = nearestRegion(c.lat, c.lon);
    demand[i] = (demand[i] ?? 0) + c.millions;
  }
  const spare = total - min * REGIONS.length;
  if (spare < 0) throw new Error(`${total} nodes cannot give ${min} to each of ${REGIONS.length}`);
  const sum = demand.reduce((a, b) => a + b, 0);
  const exact = demand.map((d) => (d / sum) * spare);
  const counts = exact.map((e) => min + Math.floor(e));
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = exact
    .map((e, i) => ({ i, rest: e - Math.floor(e) }))
    .sort((a, b) => b.rest - a.rest);
  for (const { i } of order) {
    if (left-- <= 0) break;
    counts[i] = (counts[i] ?? 0) + 1;
  }
  return counts;
}

type RefusalCode = keyof SimResult['refused'];

interface SimNode extends PlacementCandidate {
  state: NodeState;
  region: string;
  latitude: number;
  longitude: number;
  load: { sessions: number; maxSessions: number };
}

interface Room {
  node: SimNode | null;
  /** Join ids of the members placed and still in the room. */
  members: number[];
}

/** A point up to `km` from `(lat, lon)`, uniform over the disc. */
function jitter(rand: () => number, lat: number, lon: number, km: number): [number, number] {
  const r = km * Math.sqrt(rand());
  const theta = 2 * Math.PI * rand();
  const dLat = (r * Math.cos(theta)) / 111.2;
  const cos = Math.max(0.05, Math.cos((lat * Math.PI) / 180));
  const dLon = (r * Math.sin(theta)) / (111.2 * cos);
  const la = Math.max(-89.9, Math.min(89.9, lat + dLat));
  let lo = lon + dLon;
  if (lo > 180) lo -= 360;
  if (lo < -180) lo += 360;
  return [la, lo];
}

function percentiles(values: Float64Array): Percentiles {
  if (values.length === 0) return { p50: 0, p95: 0, mean: 0 };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  let sum = 0;
  for (const v of sorted) sum += v;
  return { p50: at(0.5), p95: at(0.95), mean: sum / sorted.length };
}

/** A room's size: 1 or 2 (30 % each), otherwise log-uniform over 3..50. */
function roomSize(rand: () => number): number {
  const u = rand();
  if (u < 0.3) return 1;
  if (u < 0.6) return 2;
  return Math.min(50, Math.floor(3 * (50 / 3) ** rand()));
}

function cityPicker(rand: () => number): () => ClientCity {
  const total = CLIENT_CITIES.reduce((a, c) => a + c.millions, 0);
  let sum = 0;
  const cumulative = CLIENT_CITIES.map((c) => {
    sum += c.millions / total;
    return sum;
  });
  return () => {
    const u = rand();
    const i = cumulative.findIndex((c) => u < c);
    return CLIENT_CITIES[i < 0 ? CLIENT_CITIES.length - 1 : i] as ClientCity;
  };
}

/** Runs one policy over the world `config` describes. */
export function simulate(policy: Policy, config: SimConfig = DEFAULT_CONFIG): SimResult {
  const rand = rng(config.seed);
  const opts = { slackKm: config.slackKm };

  // Nodes, region by region, within 30 km of the region's city.
  const nodes: SimNode[] = [];
  nodesPerRegion(config.nodes, config.minNodesPerRegion).forEach((count, r) => {
    const site = REGIONS[r];
    if (!site) return;
    for (let k = 0; k < count; k++) {
      const [latitude, longitude] = jitter(rand, site.lat, site.lon, 30);
      nodes.push({
        id: `${site.region}-${String(k).padStart(3, '0')}`,
        state: 'ready',
        region: site.region,
        latitude,
        longitude,
        load: { sessions: 0, maxSessions: config.maxSessionsPerNode },
      });
    }
  });
  const capacity = nodes.length * config.maxSessionsPerNode;
  const meanLife = config.utilization * capacity;

  // Rooms and their joins (time = joins issued), each member's location drawn up front.
  const city = cityPicker(rand);
  const joinLat = new Float64Array(config.joins);
  const joinLon = new Float64Array(config.joins);
  const events: { t: number; join: number; room: number }[] = []; // join -1: the room ends
  const rooms: Room[] = [];
  let issued = 0;
  while (issued < config.joins) {
    const size = Math.min(roomSize(rand), config.joins - issued);
    const room = rooms.length;
    rooms.push({ node: null, members: [] });
    const home = city();
    const t0 = issued;
    for (let m = 0; m < size; m++) {
      const from = m > 0 && rand() < config.globalMemberShare ? city() : home;
      const [lat, lon] = jitter(rand, from.lat, from.lon, config.jitterKm);
      const join = issued++;
      joinLat[join] = lat;
      joinLon[join] = lon;
      events.push({ t: t0 + m * config.memberSpacing, join, room });
    }
    const lastJoin = t0 + (size - 1) * config.memberSpacing;
    events.push({ t: lastJoin + 0.5 - meanLife * Math.log(1 - rand()), join: -1, room });
  }
  events.sort((a, b) => a.t - b.t || a.join - b.join);
  const endOfJoins = issued;

  const distances = new Float64Array(config.joins);
  const firstDistances = new Float64Array(config.joins);
  let placed = 0;
  let firsts = 0;
  const refused = { capacity_exceeded: 0, draining: 0, no_media_node: 0 };
  const match: Record<string, number> = {};
  const failoverKm: number[] = [];
  const failover = {
    nodesFailed: 0,
    sessionsAffected: 0,
    roomsMoved: 0,
    sessionsReplaced: 0,
    sessionsRefused: 0,
  };
  let nodesDrained = 0;
  const spreads: number[] = [];
  let steadyUtilization = 0;
  let open = 0;
  const active = new Set<number>();

  const clientOf = (join: number): ClientLocation => {
    const lat = joinLat[join] ?? 0;
    const lon = joinLon[join] ?? 0;
    if (policy !== 'geo') return { lat, lon };
    // As the edge does: the client's region is that of its nearest live node.
    let region: string | undefined;
    let best = Number.POSITIVE_INFINITY;
    for (const n of nodes) {
      if (n.state === 'stopped') continue;
      const km = greatCircleKm({ lat, lon }, { lat: n.latitude, lon: n.longitude });
      if (km < best) {
        best = km;
        region = n.region;
      }
    }
    return { lat, lon, region };
  };

  /** Places one join; returns its distance in km, or the refusal's code. */
  const place = (join: number, room: Room): number | RefusalCode => {
    let result: ReturnType<typeof placeInRoom<SimNode>>;
    if (room.node && room.node.state !== 'stopped') {
      // The room's node alone: the same answer as with every node, without the search.
      result = placeInRoom([room.node], room.node.id, null, opts);
    } else {
      const client = clientOf(join);
      result = pickNode(nodes, policy === 'geo' ? client : null, opts);
    }
    if (!result.ok) return result.code;
    const node = result.node;
    node.load.sessions += 1;
    open += 1;
    room.node = node;
    room.members.push(join);
    match[result.match] = (match[result.match] ?? 0) + 1;
    return greatCircleKm(
      { lat: joinLat[join] ?? 0, lon: joinLon[join] ?? 0 },
      { lat: node.latitude, lon: node.longitude },
    );
  };

  const pickReady = (share: number): SimNode[] => {
    const ready = nodes.filter((n) => n.state === 'ready');
    const chosen: SimNode[] = [];
    const want = Math.round(share * nodes.length);
    while (chosen.length < want && ready.length > 0) {
      const i = Math.floor(rand() * ready.length);
      chosen.push(...ready.splice(i, 1));
    }
    return chosen;
  };

  const fail = (share: number) => {
    const lost = new Set(pickReady(share));
    for (const n of lost) {
      n.state = 'stopped';
      open -= n.load.sessions;
      n.load.sessions = 0;
    }
    failover.nodesFailed += lost.size;
    for (const r of active) {
      const room = rooms[r];
      if (!room?.node || !lost.has(room.node)) continue;
      const members = room.members;
      room.node = null;
      room.members = [];
      failover.roomsMoved += 1;
      failover.sessionsAffected += members.length;
      for (const join of members) {
        const km = place(join, room);
        if (typeof km === 'string') failover.sessionsRefused += 1;
        else {
          failover.sessionsReplaced += 1;
          failoverKm.push(km);
        }
      }
    }
  };

  const drain = (share: number) => {
    for (const n of pickReady(share)) n.state = 'draining';
    nodesDrained += Math.round(share * nodes.length);
  };

  const sampleSpread = () => {
    let sum = 0;
    let max = 0;
    let count = 0;
    for (const n of nodes) {
      if (n.state !== 'ready') continue;
      const u = n.load.sessions / n.load.maxSessions;
      sum += u;
      max = Math.max(max, u);
      count += 1;
    }
    if (count > 0 && sum > 0) spreads.push(max / (sum / count));
  };

  const schedule = [
    ...config.failures.map((f) => ({ t: f.at * endOfJoins, run: () => fail(f.share) })),
    ...config.drains.map((d) => ({ t: d.at * endOfJoins, run: () => drain(d.share) })),
  ].sort((a, b) => a.t - b.t);
  // Open sessions approach their steady level as 1 - e^(-t / meanLife): 95 % after three.
  const warmUp = Math.min(3 * meanLife, endOfJoins / 2);
  const sampleEvery = (endOfJoins - warmUp) / 200;
  let nextSample = warmUp;
  let warmedUp = false;

  for (const e of events) {
    while (schedule.length > 0 && (schedule[0]?.t ?? 0) <= e.t) schedule.shift()?.run();
    if (e.t >= nextSample && e.t <= endOfJoins) {
      if (!warmedUp) {
        warmedUp = true;
        steadyUtilization = open / capacity;
      }
      sampleSpread();
      nextSample += sampleEvery;
    }
    const room = rooms[e.room];
    if (!room) continue;
    if (e.join < 0) {
      if (room.node && room.node.state !== 'stopped') {
        room.node.load.sessions -= room.members.length;
        open -= room.members.length;
      }
      room.members = [];
      room.node = null;
      active.delete(e.room);
      continue;
    }
    const first = room.node === null;
    const km = place(e.join, room);
    if (typeof km === 'string') refused[km] += 1;
    else {
      distances[placed++] = km;
      if (first) firstDistances[firsts++] = km;
      active.add(e.room);
    }
  }

  const spreadSum = spreads.reduce((a, b) => a + b, 0);
  return {
    policy,
    joins: endOfJoins,
    placed,
    refused,
    distanceKm: percentiles(distances.subarray(0, placed)),
    firstMemberKm: percentiles(firstDistances.subarray(0, firsts)),
    match,
    loadSpread: {
      mean: spreads.length > 0 ? spreadSum / spreads.length : 0,
      max: spreads.length > 0 ? Math.max(...spreads) : 0,
      samples: spreads.length,
    },
    failover: { ...failover, distanceKm: percentiles(Float64Array.from(failoverKm)) },
    nodesDrained,
    steadyUtilization,
  };
}
