/**
 * Placement on the registry's records: the live nodes, then the shared rule (shared/placement.ts:
 * nearest admissible node with a slack, least loaded among the about-as-near; a room stays on
 * its node).
 */
import {
  type ClientLocation,
  type PickResult,
  placeInRoom,
  type RoomPlacementMatch,
} from '../../../shared/placement.ts';
import type { NodeRecord } from './node-record.ts';

export type Placement = PickResult<NodeRecord, RoomPlacementMatch>;

/** Seconds a client should wait before retrying a refused placement. */
export const PLACEMENT_RETRY_AFTER_S = 5;

export function isHealthy(n: NodeRecord, now: number, heartbeatTimeoutMs: number): boolean {
  return now - n.lastSeen <= heartbeatTimeoutMs && n.state !== 'stopped';
}

/**
 * Picks the node for a session of `room`. `assignedNodeId` is the room's node when the room
 * already has one; it is kept while that node is alive, so a draining or full room node refuses
 * newcomers instead of splitting the room. `client` is where the client is (null: unknown, the
 * least loaded node wins); `slackKm` is how much farther than the nearest node still counts as
 * near.
 */
export function place(
  nodes: readonly NodeRecord[],
  assignedNodeId: string | undefined,
  now: number,
  heartbeatTimeoutMs: number,
  client: ClientLocation | null = null,
  slackKm = 0,
): Placement {
  const alive = nodes.filter((n) => isHealthy(n, now, heartbeatTimeoutMs));
  return placeInRoom(alive, assignedNodeId, client, { slackKm });
}
