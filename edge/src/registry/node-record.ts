/** Media nodes as the registry knows them, and what a heartbeat does to that knowledge. */
import type { EndReason } from '../../../shared/api.ts';
import type { Heartbeat, NodeState } from '../../../shared/internal.ts';

/** A media node as the registry knows it; the node directory hands these to the placers. */
export interface NodeRecord {
  id: string;
  url: string;
  region: string;
  /** Where the node is, degrees; without them the node is placed only as a fallback. */
  latitude?: number | undefined;
  longitude?: number | undefined;
  state: NodeState;
  /** The node process's start: a different value is a different instance. */
  startedAt: number;
  /** Last heartbeat received, ms since epoch. */
  lastSeen: number;
  load: Heartbeat['load'];
}

/** A node instance that is gone, and the reason its sessions fail with. */
export interface LostNode {
  nodeId: string;
  startedAt: number;
  reason: Extract<EndReason, 'node_lost' | 'node_shutdown'>;
}

export interface HeartbeatOutcome {
  /** The record to store, or null to forget the node. */
  record: NodeRecord | null;
  /** A previous instance whose sessions must fail. */
  lost: LostNode | null;
}

/**
 * Applies a heartbeat: a new `startedAt` means the node restarted (its old sessions are gone:
 * `node_lost`); `stopped` removes the node (`node_shutdown` for sessions it still had).
 */
export function applyHeartbeat(
  existing: NodeRecord | undefined,
  hb: Heartbeat,
  now: number,
): HeartbeatOutcome {
  const restarted = existing !== undefined && existing.startedAt !== hb.startedAt;
  const lostPrevious: LostNode | null = restarted
    ? { nodeId: existing.id, startedAt: existing.startedAt, reason: 'node_lost' }
    : null;
  if (hb.state === 'stopped') {
    return {
      record: null,
      lost: lostPrevious ?? { nodeId: hb.nodeId, startedAt: hb.startedAt, reason: 'node_shutdown' },
    };
  }
  return {
    record: {
      id: hb.nodeId,
      url: hb.url.replace(/\/+$/, ''),
      region: hb.region,
      ...(hb.location ? { latitude: hb.location.latitude, longitude: hb.location.longitude } : {}),
      state: hb.state,
      startedAt: hb.startedAt,
      lastSeen: now,
      load: hb.load,
    },
    lost: lostPrevious,
  };
}

/** Nodes whose heartbeats stopped more than `timeoutMs` ago. */
export function silentNodes(
  nodes: Iterable<NodeRecord>,
  now: number,
  timeoutMs: number,
): LostNode[] {
  const lost: LostNode[] = [];
  for (const n of nodes) {
    if (now - n.lastSeen > timeoutMs) {
      lost.push({ nodeId: n.id, startedAt: n.startedAt, reason: 'node_lost' });
    }
  }
  return lost;
}

/**
 * When the earliest node would count as silent: the registry's alarm time, so a node that stops
 * is dropped `timeoutMs` after its last heartbeat, not up to a polling period later.
 */
export function nextSweepAt(nodes: Iterable<NodeRecord>, timeoutMs: number): number | null {
  let earliest: number | null = null;
  for (const n of nodes) if (earliest === null || n.lastSeen < earliest) earliest = n.lastSeen;
  return earliest === null ? null : earliest + timeoutMs + 1;
}

/** What operators see of a node (`GET /api/media/nodes`). */
export interface NodeView {
  id: string;
  region: string;
  /** Where the node is (its LATITUDE / LONGITUDE), null when it does not say. */
  location: { latitude: number; longitude: number } | null;
  url: string;
  state: NodeState;
  startedAt: string;
  lastSeen: string;
  load: Heartbeat['load'];
}

export function nodeView(n: NodeRecord): NodeView {
  return {
    id: n.id,
    region: n.region,
    location:
      n.latitude !== undefined && n.longitude !== undefined
        ? { latitude: n.latitude, longitude: n.longitude }
        : null,
    url: n.url,
    state: n.state,
    startedAt: new Date(n.startedAt).toISOString(),
    lastSeen: new Date(n.lastSeen).toISOString(),
    load: n.load,
  };
}
