/**
 * Placement: which media node serves a session, given where the client is. Pure (no I/O), so
 * the edge, its tests and the placement simulator (bench/placement) run the same rule.
 *
 * The rule: only nodes that are `ready` and admit one more session (`admits`); among those
 * with coordinates, the nearest by great-circle distance and every node within `slackKm` of it
 * are "about as near", and the least loaded of them wins (`loadScore`, ties by id). Without a
 * client location, or when no admissible node has coordinates, the least loaded node wins. A
 * room stays on the node it was placed on (`placeInRoom`).
 */
import type { ErrorCode } from './errors.ts';
import { type GeoPoint, greatCircleKm, isLatitude, isLongitude } from './geo.ts';
import type { NodeState } from './internal.ts';
import { admits, loadScore, type NodeLoad } from './load-score.ts';

export * from './geo.ts';
export * from './load-score.ts';

/** What placement needs of a node; the edge's `NodeRecord` is one as is. */
export interface PlacementCandidate {
  id: string;
  state: NodeState;
  /** Operator-chosen region name, e.g. `eu` or `eu-west`. */
  region?: string | undefined;
  /** Where the node is; without both, the node is placed only as a fallback. */
  latitude?: number | null | undefined;
  longitude?: number | null | undefined;
  load: NodeLoad;
  /** Sessions placed since the node's last heartbeat (not in `load` yet). */
  pending?: number | undefined;
}

/** Where a client is: a point, and its region when the edge knows one (same names as nodes'). */
export interface ClientLocation extends GeoPoint {
  region?: string | undefined;
}

/**
 * How the node was chosen: `region` = by distance, in the client's region; `nearest` = by
 * distance, elsewhere (the client's region has no admissible node, or none is known); `fallback`
 * = by load alone (no client location or no node coordinates); `room` = the room's node.
 */
export type PlacementMatch = 'region' | 'nearest' | 'fallback';
export type RoomPlacementMatch = PlacementMatch | 'room';

export type PlacementRefusal = {
  ok: false;
  code: Extract<ErrorCode, 'no_media_node' | 'capacity_exceeded' | 'draining'>;
  message: string;
};

export type PickResult<T, M extends string = PlacementMatch> =
  | {
      ok: true;
      node: T;
      match: M;
      /** Client to node, km; null without a client location or node coordinates. */
      distanceKm: number | null;
    }
  | PlacementRefusal;

export interface PlacementOptions {
  /** Nodes at most this much farther than the nearest one count as equally near, km (>= 0). */
  slackKm: number;
}

/** A node's coordinates, or null when it advertises none (or invalid ones). */
export function nodePoint(c: PlacementCandidate): GeoPoint | null {
  return isLatitude(c.latitude) && isLongitude(c.longitude)
    ? { lat: c.latitude, lon: c.longitude }
    : null;
}

/**
 * Whether a node is in the client's region: equal names, or the node's name continues the
 * client's with a dash (`eu` matches `eu-west`), case-insensitively.
 */
export function inRegion(clientRegion: string, nodeRegion: string): boolean {
  const c = clientRegion.toLowerCase();
  const n = nodeRegion.toLowerCase();
  return n === c || n.startsWith(`${c}-`);
}

/** Lower load first, then the lower id (code-unit order: the same in every runtime). */
function lessLoaded(a: PlacementCandidate, aScore: number, b: PlacementCandidate, bScore: number) {
  return aScore < bScore || (aScore === bScore && a.id < b.id);
}

function distanceTo(client: GeoPoint | null, c: PlacementCandidate): number | null {
  const p = nodePoint(c);
  return client && p ? greatCircleKm(client, p) : null;
}

/** Picks the node for a new room (see the module comment for the rule). */
export function pickNode<T extends PlacementCandidate>(
  candidates: readonly T[],
  client: ClientLocation | null,
  opts: PlacementOptions,
): PickResult<T> {
  const open: T[] = [];
  let ready = 0;
  for (const c of candidates) {
    if (c.state !== 'ready') continue;
    ready++;
    if (admits(c.load, c.pending)) open.push(c);
  }
  if (ready === 0) return { ok: false, code: 'no_media_node', message: 'no media node available' };
  if (open.length === 0) {
    return { ok: false, code: 'capacity_exceeded', message: 'every media node is full' };
  }
  if (client) {
    const near = nearestWithSlack(open, client, Math.max(0, opts.slackKm));
    if (near) {
      const region = client.region && near.node.region;
      const match = region && inRegion(client.region ?? '', region) ? 'region' : 'nearest';
      return { ok: true, node: near.node, match, distanceKm: near.distanceKm };
    }
  }
  let best = open[0]!;
  let bestScore = loadScore(best.load, best.pending);
  for (const c of open) {
    const score = loadScore(c.load, c.pending);
    if (lessLoaded(c, score, best, bestScore)) {
      best = c;
      bestScore = score;
    }
  }
  return { ok: true, node: best, match: 'fallback', distanceKm: distanceTo(client, best) };
}

/** The least loaded node within `slackKm` of the nearest located one; null when none is located. */
function nearestWithSlack<T extends PlacementCandidate>(
  open: readonly T[],
  client: GeoPoint,
  slackKm: number,
): { node: T; distanceKm: number } | null {
  const located: { node: T; distanceKm: number }[] = [];
  let nearest = Number.POSITIVE_INFINITY;
  for (const node of open) {
    const p = nodePoint(node);
    if (!p) continue;
    const distanceKm = greatCircleKm(client, p);
    located.push({ node, distanceKm });
    nearest = Math.min(nearest, distanceKm);
  }
  let best: { node: T; distanceKm: number } | null = null;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const entry of located) {
    if (entry.distanceKm > nearest + slackKm) continue;
    const score = loadScore(entry.node.load, entry.node.pending);
    if (best === null || lessLoaded(entry.node, score, best.node, bestScore)) {
      best = entry;
      bestScore = score;
    }
  }
  return best;
}

/**
 * Picks the node for a session of a room. `assignedNodeId` is the room's node when the room has
 * one among `candidates` (the live nodes): the room stays there, so a draining or full room node
 * refuses newcomers instead of splitting the room. Otherwise `pickNode`.
 */
export function placeInRoom<T extends PlacementCandidate>(
  candidates: readonly T[],
  assignedNodeId: string | undefined,
  client: ClientLocation | null,
  opts: PlacementOptions,
): PickResult<T, RoomPlacementMatch> {
  const assigned = assignedNodeId
    ? candidates.find((c) => c.id === assignedNodeId && c.state !== 'stopped')
    : undefined;
  if (!assigned) return pickNode(candidates, client, opts);
  if (assigned.state === 'draining') {
    return { ok: false, code: 'draining', message: "the room's media node is draining" };
  }
  if (!admits(assigned.load, assigned.pending)) {
    return { ok: false, code: 'capacity_exceeded', message: "the room's media node is full" };
  }
  return { ok: true, node: assigned, match: 'room', distanceKm: distanceTo(client, assigned) };
}
