/**
 * Placement: which media node gets a new session. A room lives on one node (so its SFU can
 * forward between participants); a session alone in its room goes to the least loaded node.
 */
import type { ErrorCode } from '../../../shared/errors.ts';
import type { NodeRecord } from './node-record.ts';

export type Placement =
  | { ok: true; node: NodeRecord }
  | {
      ok: false;
      code: Extract<ErrorCode, 'no_media_node' | 'capacity_exceeded' | 'draining'>;
      message: string;
    };

/** Seconds a client should wait before retrying a refused placement. */
export const PLACEMENT_RETRY_AFTER_S = 5;

/** Sessions on the node, the ones placed since its last heartbeat included. */
function sessionsOf(n: NodeRecord): number {
  return n.load.sessions + n.pending;
}

export function hasCapacity(n: NodeRecord): boolean {
  return sessionsOf(n) < n.load.maxSessions;
}

/**
 * Load in 0..1+. With per-worker figures (a node that spreads sessions over cores), a new session
 * lands on the node's least busy worker, so that worker's share counts, not the node's average.
 */
export function loadOf(n: NodeRecord): number {
  const nodeShare = sessionsOf(n) / n.load.maxSessions;
  const workers = n.load.workers;
  if (!workers || workers.length === 0) return nodeShare;
  const perWorkerMax = n.load.maxSessions / workers.length;
  const best = Math.min(...workers.map((w) => Math.max(w.sessions / perWorkerMax, w.cpu)));
  return Math.max(best, n.pending / n.load.maxSessions);
}

export function isHealthy(n: NodeRecord, now: number, heartbeatTimeoutMs: number): boolean {
  return now - n.lastSeen <= heartbeatTimeoutMs && n.state !== 'stopped';
}

/**
 * Picks the node for a session of `room`. `assignedNodeId` is the room's node when the room
 * already has one; it is kept while that node is alive, so a draining or full room node refuses
 * newcomers instead of splitting the room.
 */
export function place(
  nodes: readonly NodeRecord[],
  assignedNodeId: string | undefined,
  now: number,
  heartbeatTimeoutMs: number,
): Placement {
  const alive = nodes.filter((n) => isHealthy(n, now, heartbeatTimeoutMs));
  const assigned = assignedNodeId ? alive.find((n) => n.id === assignedNodeId) : undefined;
  if (assigned) {
    if (assigned.state === 'draining') {
      return { ok: false, code: 'draining', message: "the room's media node is draining" };
    }
    if (!hasCapacity(assigned)) {
      return { ok: false, code: 'capacity_exceeded', message: "the room's media node is full" };
    }
    return { ok: true, node: assigned };
  }
  const ready = alive.filter((n) => n.state === 'ready');
  if (ready.length === 0)
    return { ok: false, code: 'no_media_node', message: 'no media node available' };
  const open = ready.filter(hasCapacity);
  if (open.length === 0) {
    return { ok: false, code: 'capacity_exceeded', message: 'every media node is full' };
  }
  open.sort((a, b) => loadOf(a) - loadOf(b) || a.id.localeCompare(b.id));
  return { ok: true, node: open[0]! };
}
