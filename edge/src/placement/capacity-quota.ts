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

/** One node's reservation times, oldest first, from `head` on (the ones before it are dropped). */
interface TimeQueue {
  times: number[];
  head: number;
}

/** Dropped entries kept before the array is compacted (amortized: each time is moved once). */
const COMPACT_AFTER = 1_024;

/**
 * One placer's placements per node instance, in memory (times in ms), oldest first. Why a queue:
 * a busy placer holds a reservation per create of the last seconds (a thousand or more), and
 * placing asks for the count several times per create; filtering the list each time cost ~5 %
 * of the edge's CPU under a create flood. Counting drops from the front and is O(1) amortized.
 */
export class Reservations {
  readonly #byNode = new Map<string, TimeQueue>();

  add(nodeId: string, at: number): void {
    const q = this.#byNode.get(nodeId);
    if (!q) {
      this.#byNode.set(nodeId, { times: [at], head: 0 });
      return;
    }
    const { times } = q;
    // Times come in order (the runtime's clock does not go back); one that does not is put in
    // its place, so the front is always the oldest.
    let i = times.length;
    while (i > q.head && (times[i - 1] as number) > at) i--;
    times.splice(i, 0, at);
  }

  /** Reservations on `nodeId` made at or after `since`; older ones are dropped. */
  count(nodeId: string, since: number): number {
    const q = this.#byNode.get(nodeId);
    if (!q) return 0;
    const { times } = q;
    while (q.head < times.length && (times[q.head] as number) < since) q.head++;
    if (q.head === times.length) {
      this.#byNode.delete(nodeId);
      return 0;
    }
    if (q.head >= COMPACT_AFTER && q.head * 2 >= times.length) {
      q.times = times.slice(q.head);
      q.head = 0;
    }
    return q.times.length - q.head;
  }

  forget(nodeId: string): void {
    this.#byNode.delete(nodeId);
  }
}
