/**
 * Capacity without a global round trip. A node's free slots (`maxSessions - sessions`, as its
 * last heartbeat reported them) are split between the room placers: each may fill
 * `floor(free / placers)` of them on its own, counted in its memory, and the rest
 * (`free % placers`, fewer than one per placer) is a shared pool the registry hands out one
 * reservation at a time. The shares and the pool add up to `free`, so the placers together never
 * place more than a node said it can take; each heartbeat (seen through the node directory)
 * starts the count over from the node's new figures.
 *
 * Where the split costs: a node with fewer free slots than there are placers is placed from the
 * pool only (one registry call per create), and a placer that used up its share sends the
 * creates it cannot serve to the pool until the next heartbeat.
 */
import type { NodeRecord } from '../registry/node-record.ts';

/** Slots the node said it has free. */
export function freeSlots(node: Pick<NodeRecord, 'load'>): number {
  return Math.max(0, node.load.maxSessions - node.load.sessions);
}

/** What each placer may fill on its own until the node's next heartbeat. */
export function localShare(node: Pick<NodeRecord, 'load'>, placers: number): number {
  return Math.floor(freeSlots(node) / placers);
}

/** What the registry hands out, one reservation per call, until the node's next heartbeat. */
export function poolSize(node: Pick<NodeRecord, 'load'>, placers: number): number {
  return freeSlots(node) % placers;
}

/**
 * Placements a reservation counts from: the node's last heartbeat (it counts the sessions that
 * offered before it), and at most `pendingTimeoutMs` back (a session that never offers stops
 * holding a slot).
 */
export function countedSince(
  node: Pick<NodeRecord, 'lastSeen'>,
  now: number,
  pendingTimeoutMs: number,
): number {
  return Math.max(node.lastSeen, now - pendingTimeoutMs);
}

/** One placer's placements per node instance, in memory (times in ms). */
export class Reservations {
  readonly #byNode = new Map<string, number[]>();

  add(nodeId: string, at: number): void {
    const times = this.#byNode.get(nodeId);
    if (times) times.push(at);
    else this.#byNode.set(nodeId, [at]);
  }

  /** Reservations on `nodeId` made at or after `since`; older ones are dropped. */
  count(nodeId: string, since: number): number {
    const times = this.#byNode.get(nodeId);
    if (!times) return 0;
    const live = times.filter((t) => t >= since);
    if (live.length === 0) this.#byNode.delete(nodeId);
    else if (live.length !== times.length) this.#byNode.set(nodeId, live);
    return live.length;
  }

  forget(nodeId: string): void {
    this.#byNode.delete(nodeId);
  }
}
