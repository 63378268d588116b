/**
 * What a RoomPlacer does, on plain data: picks the node of a new room (or of a session alone in
 * its private room) from the cached node directory, keeps a room on its node while that node
 * instance lives, and admits each session against this placer's capacity share or, past it,
 * the registry's shared pool (capacity-quota.ts). The Durable Object wires in storage, the
 * directory pull and the registry.
 */
import { MediaError } from '../../../shared/errors.ts';
import type { GeoPoint } from '../../../shared/geo.ts';
import { admits, nodePoint, type PickResult } from '../../../shared/placement.ts';
import type { EdgeConfig } from '../config.ts';
import type { NodeRecord } from '../registry/node-record.ts';
import { isPrivateRoom } from '../session/ids.ts';
import type { Counters } from '../shard/shard-counters.ts';
import { countedSince, localShare, poolSize, type Reservations } from './capacity-quota.ts';
import type { ClientLocation } from './client-location.ts';

/** Seconds a client should wait before retrying a refused placement. */
export const PLACEMENT_RETRY_AFTER_S = 5;

/** A node this placer may use now, with the sessions it estimates are on their way there. */
export interface Candidate extends NodeRecord {
  /** Placements not yet in the node's reported load (all placers together, estimated). */
  pending: number;
}

/** The node a session goes to, as the shard stores it and the client sees it. */
export interface PlacedNode {
  id: string;
  region: string;
  url: string;
  distanceKm: number | null;
}

/** A room's node: the instance (`startedAt`) it lives on. */
export interface RoomAssignment {
  nodeId: string;
  startedAt: number;
}

export interface RoomRepo {
  get(room: string): RoomAssignment | undefined;
  /**
   * One more member on `a` (a room whose node changed starts over at one); true when the room
   * starts there (its first member).
   */
  join(room: string, a: RoomAssignment): boolean;
  /** One member fewer; returns the room's node when that was its last member. */
  leave(room: string): string | undefined;
  /** Forgets the rooms of a node instance that is gone; returns them. */
  dropNode(nodeId: string, startedAt: number): string[];
}

/** Why a room finished: its last member left, or its node went away. */
export type RoomEndReason = 'empty' | 'node_lost' | 'node_shutdown';

/** A room's life as webhooks report it (room.started, room.finished). */
export interface RoomEvents {
  started(room: string, nodeId: string): void;
  finished(room: string, nodeId: string, reason: RoomEndReason): void;
}

export type PlacerConfig = Pick<
  EdgeConfig,
  'HEARTBEAT_TIMEOUT_MS' | 'PENDING_OFFER_TIMEOUT_MS' | 'SHARD_COUNT'
>;

export interface PlacerDeps {
  /** The directory, pulled first when older than its max age. */
  nodes(now: number): Promise<readonly NodeRecord[]>;
  rooms: RoomRepo;
  events: RoomEvents;
  reservations: Reservations;
  /** Asks the registry for a slot of `node`'s shared pool (a global round trip). */
  reservePooled(node: NodeRecord, now: number): Promise<boolean>;
  /** The shared rule (shared/placement.ts `pickNode`): nearest with capacity, ties by load. */
  pick(candidates: readonly Candidate[], client: ClientLocation | null): PickResult<Candidate>;
  distanceKm(a: GeoPoint, b: GeoPoint): number;
  counters: Counters;
  config: PlacerConfig;
}

type Refusal = 'no_media_node' | 'capacity_exceeded' | 'draining';

export class PlacerCore {
  readonly #d: PlacerDeps;

  constructor(deps: PlacerDeps) {
    this.#d = deps;
  }

  /**
   * The node for a new session of `room` from a client at `client`. A room with a live node
   * stays there (a draining or full one refuses newcomers rather than splitting the room);
   * otherwise the room goes where this first participant is best served.
   */
  async place(room: string, located: ClientLocation | null, now: number): Promise<PlacedNode> {
    const nodes = (await this.#d.nodes(now)).filter((n) => this.#alive(n, now));
    const client = located && withRegion(located, nodes, this.#d.distanceKm);
    const shared = !isPrivateRoom(room);
    const assigned = shared ? this.#assignedNode(room, nodes, now) : undefined;
    if (assigned) return this.#join(room, assigned, client, now);
    const ready = nodes.filter((n) => n.state === 'ready');
    if (ready.length === 0) this.#refuse('no_media_node', 'no media node available');
    const candidates = ready.map((n) => this.#candidate(n, now));
    // This placer's own share first: no call leaves the object.
    const local = candidates.filter((c) => this.#used(c, now) < localShare(c, this.#placers));
    let pick = local.length > 0 ? this.#d.pick(local, client) : undefined;
    if (pick?.ok) this.#d.reservations.add(pick.node.id, now);
    else {
      // Past it: a slot of the registry's shared pool on the best node that has one.
      const pooled = candidates.filter((c) => poolSize(c, this.#placers) > 0);
      pick = pooled.length > 0 ? this.#d.pick(pooled, client) : undefined;
      if (!pick?.ok || !(await this.#d.reservePooled(pick.node, now))) {
        this.#refuse('capacity_exceeded', 'every media node is full');
      }
      // Another member may have placed the room while the registry answered: join it there.
      const meanwhile = shared ? this.#assignedNode(room, nodes, now) : undefined;
      if (meanwhile) return this.#joined(room, meanwhile, client);
    }
    this.#d.counters.count('placements', pick.match);
    return shared ? this.#joined(room, pick.node, client) : placed(pick.node, pick.distanceKm);
  }

  release(room: string): void {
    const nodeId = this.#d.rooms.leave(room);
    if (nodeId !== undefined) this.#d.events.finished(room, nodeId, 'empty');
  }

  /** The node instance of `room`, if it still lives. */
  roomNode(room: string, nodes: readonly NodeRecord[], now: number): NodeRecord | undefined {
    return this.#assignedNode(room, nodes, now);
  }

  nodeLost(nodeId: string, startedAt: number, reason: 'node_lost' | 'node_shutdown'): void {
    for (const room of this.#d.rooms.dropNode(nodeId, startedAt)) {
      this.#d.events.finished(room, nodeId, reason);
    }
    this.#d.reservations.forget(nodeId);
  }

  get #placers(): number {
    return this.#d.config.SHARD_COUNT;
  }

  /** A newcomer to a room that lives on `node`: admitted against the same capacity rules. */
  async #join(
    room: string,
    node: NodeRecord,
    client: ClientLocation | null,
    now: number,
  ): Promise<PlacedNode> {
    if (node.state === 'draining') this.#refuse('draining', "the room's media node is draining");
    if (!admits(node.load, this.#candidate(node, now).pending)) {
      this.#refuse('capacity_exceeded', "the room's media node is full");
    }
    if (this.#used(node, now) < localShare(node, this.#placers)) {
      this.#d.reservations.add(node.id, now);
    } else if (poolSize(node, this.#placers) === 0 || !(await this.#d.reservePooled(node, now))) {
      this.#refuse('capacity_exceeded', "the room's media node is full");
    }
    return this.#joined(room, node, client);
  }

  #joined(room: string, node: NodeRecord, client: ClientLocation | null): PlacedNode {
    if (this.#d.rooms.join(room, { nodeId: node.id, startedAt: node.startedAt })) {
      this.#d.events.started(room, node.id);
    }
    const point = nodePoint(node);
    return placed(node, client && point ? this.#d.distanceKm(client, point) : null);
  }

  #assignedNode(room: string, nodes: readonly NodeRecord[], now: number) {
    const a = this.#d.rooms.get(room);
    if (!a) return undefined;
    const node = nodes.find((n) => n.id === a.nodeId && n.startedAt === a.startedAt);
    return node && this.#alive(node, now) ? node : undefined;
  }

  #alive(n: NodeRecord, now: number): boolean {
    return n.state !== 'stopped' && now - n.lastSeen <= this.#d.config.HEARTBEAT_TIMEOUT_MS;
  }

  /** This placer's reservations on `n` that its last heartbeat does not count yet. */
  #used(n: NodeRecord, now: number): number {
    const since = countedSince(n, now, this.#d.config.PENDING_OFFER_TIMEOUT_MS);
    return this.#d.reservations.count(n.id, since);
  }

  /** Placements spread evenly over the placers: this one's count times their number. */
  #candidate(node: NodeRecord, now: number): Candidate {
    return { ...node, pending: this.#used(node, now) * this.#placers };
  }

  #refuse(code: Refusal, message: string): never {
    this.#d.counters.count('placements_refused', code);
    throw new MediaError(code, message, {}, PLACEMENT_RETRY_AFTER_S);
  }
}

/**
 * The client with its region: the region of the nearest live node, draining or full ones
 * included. So `match` reads `region` when the room went to the node nearest the client (or one
 * within the slack in the same region) and `nearest` when that node could not take it.
 */
function withRegion(
  client: ClientLocation,
  nodes: readonly NodeRecord[],
  distanceKm: (a: GeoPoint, b: GeoPoint) => number,
): ClientLocation {
  let region: string | undefined;
  let best = Number.POSITIVE_INFINITY;
  for (const n of nodes) {
    const point = nodePoint(n);
    const d = point ? distanceKm(client, point) : Number.POSITIVE_INFINITY;
    if (d < best) {
      best = d;
      region = n.region;
    }
  }
  return region === undefined ? client : { ...client, region };
}

function placed(node: NodeRecord, distanceKm: number | null): PlacedNode {
  return {
    id: node.id,
    region: node.region,
    url: node.url,
    distanceKm: distanceKm === null ? null : Math.round(distanceKm),
  };
}
