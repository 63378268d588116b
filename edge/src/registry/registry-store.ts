/**
 * SQL access for the NodeRegistry: nodes, room -> node assignments, per-node signature floors,
 * node losses waiting for their fan-out, counters.
 */
import type { Heartbeat, NodeState } from '../../../shared/internal.ts';
import {
  addToCounter,
  COUNTERS_TABLE,
  type CounterRow,
  readCounters,
} from '../metrics/counter-table.ts';
import type { ScalarKey } from '../metrics/definitions.ts';
import type { LostNode, NodeRecord } from './node-record.ts';

/** A node loss whose sessions are still to be failed on the shards (the alarm does it). */
export interface QueuedLoss extends LostNode {
  /** Sessions created on the node before this (ms since epoch) fail. */
  before: number;
  attempts: number;
}

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS nodes (
    id TEXT PRIMARY KEY, url TEXT NOT NULL, region TEXT NOT NULL, state TEXT NOT NULL,
    started_at INTEGER NOT NULL, last_seen INTEGER NOT NULL, load TEXT NOT NULL,
    pending INTEGER NOT NULL DEFAULT 0
  )`,
  // Placements since the node's last heartbeat, as a JSON array of their times (ms): each
  // reserves capacity until the heartbeat counts it or it expires unoffered.
  `CREATE TABLE IF NOT EXISTS pending (node_id TEXT PRIMARY KEY, at TEXT NOT NULL)`,
  // Newest signed timestamp accepted per node: a heartbeat must be newer (replays are refused,
  // across restarts too). Kept after a node is dropped, pruned once past the signature window.
  `CREATE TABLE IF NOT EXISTS floors (node_id TEXT PRIMARY KEY, ts INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS losses (
    node_id TEXT NOT NULL, started_at INTEGER NOT NULL, reason TEXT NOT NULL,
    before INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (node_id, started_at)
  )`,
  `CREATE TABLE IF NOT EXISTS rooms (
    room TEXT PRIMARY KEY, node_id TEXT NOT NULL, members INTEGER NOT NULL
  )`,
  'CREATE INDEX IF NOT EXISTS rooms_node ON rooms (node_id)',
  COUNTERS_TABLE,
];

export class RegistryStore {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    for (const statement of SCHEMA) sql.exec(statement);
  }

  /** The nodes, `pending` counting the placements made since `pendingSince` (ms). */
  nodes(pendingSince = 0): NodeRecord[] {
    return this.#sql
      .exec(
        `SELECT nodes.*, pending.at AS pending_at FROM nodes
          LEFT JOIN pending ON pending.node_id = nodes.id ORDER BY id`,
      )
      .toArray()
      .map((r) => ({
        id: String(r.id),
        url: String(r.url),
        region: String(r.region),
        state: r.state as NodeState,
        startedAt: Number(r.started_at),
        lastSeen: Number(r.last_seen),
        load: JSON.parse(String(r.load)) as Heartbeat['load'],
        pending: (JSON.parse(String(r.pending_at ?? '[]')) as number[]).filter(
          (t) => t >= pendingSince,
        ).length,
      }));
  }

  node(id: string): NodeRecord | undefined {
    return this.nodes().find((n) => n.id === id);
  }

  /** Records the signed timestamp `ts` of `nodeId`; false (nothing stored) unless newer. */
  advanceFloor(nodeId: string, ts: number): boolean {
    const row = this.#sql.exec('SELECT ts FROM floors WHERE node_id = ?', nodeId).toArray()[0];
    if (row && Number(row.ts) >= ts) return false;
    this.#sql.exec(
      'INSERT INTO floors (node_id, ts) VALUES (?, ?) ON CONFLICT (node_id) DO UPDATE SET ts = ?',
      nodeId,
      ts,
      ts,
    );
    return true;
  }

  /** Forgets floors older than `before`: requests signed then are refused as expired anyway. */
  pruneFloors(before: number): void {
    this.#sql.exec('DELETE FROM floors WHERE ts < ?', before);
  }

  queueLoss(loss: LostNode, before: number): void {
    this.#sql.exec(
      `INSERT INTO losses (node_id, started_at, reason, before) VALUES (?, ?, ?, ?)
        ON CONFLICT (node_id, started_at) DO NOTHING`,
      loss.nodeId,
      loss.startedAt,
      loss.reason,
      before,
    );
  }

  losses(): QueuedLoss[] {
    return this.#sql
      .exec('SELECT * FROM losses ORDER BY before')
      .toArray()
      .map((r) => ({
        nodeId: String(r.node_id),
        startedAt: Number(r.started_at),
        reason: r.reason as LostNode['reason'],
        before: Number(r.before),
        attempts: Number(r.attempts),
      }));
  }

  /** Done (`retry` false) or one more failed attempt. */
  settleLoss(loss: QueuedLoss, retry: boolean): void {
    if (retry) {
      this.#sql.exec(
        'UPDATE losses SET attempts = attempts + 1 WHERE node_id = ? AND started_at = ?',
        loss.nodeId,
        loss.startedAt,
      );
    } else {
      this.#sql.exec(
        'DELETE FROM losses WHERE node_id = ? AND started_at = ?',
        loss.nodeId,
        loss.startedAt,
      );
    }
  }

  putNode(n: NodeRecord): void {
    this.#sql.exec(
      `INSERT INTO nodes (id, url, region, state, started_at, last_seen, load, pending)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET url = excluded.url,
        region = excluded.region, state = excluded.state, started_at = excluded.started_at,
        last_seen = excluded.last_seen, load = excluded.load, pending = excluded.pending`,
      n.id,
      n.url,
      n.region,
      n.state,
      n.startedAt,
      n.lastSeen,
      JSON.stringify(n.load),
      0, // unused since reservations moved to the `pending` table
    );
  }

  /** One more placement on `id` at `now`; reservations before `expiredBefore` are dropped. */
  addPending(id: string, now: number, expiredBefore: number): void {
    const row = this.#sql.exec('SELECT at FROM pending WHERE node_id = ?', id).toArray()[0];
    const live = (JSON.parse(String(row?.at ?? '[]')) as number[]).filter(
      (t) => t >= expiredBefore,
    );
    live.push(now);
    this.#sql.exec(
      'INSERT INTO pending (node_id, at) VALUES (?, ?) ON CONFLICT (node_id) DO UPDATE SET at = ?',
      id,
      JSON.stringify(live),
      JSON.stringify(live),
    );
  }

  /** A heartbeat counts what was placed before it: the reservations end. */
  clearPending(id: string): void {
    this.#sql.exec('DELETE FROM pending WHERE node_id = ?', id);
  }

  /**
   * Forgets a node and the rooms it held (they may start over on another node); returns those
   * rooms.
   */
  dropNode(id: string): string[] {
    const rooms = this.#sql
      .exec('DELETE FROM rooms WHERE node_id = ? RETURNING room', id)
      .toArray()
      .map((r) => String(r.room));
    this.#sql.exec('DELETE FROM pending WHERE node_id = ?', id);
    this.#sql.exec('DELETE FROM nodes WHERE id = ?', id);
    return rooms;
  }

  roomNode(room: string): string | undefined {
    const row = this.#sql.exec('SELECT node_id FROM rooms WHERE room = ?', room).toArray()[0];
    return row ? String(row.node_id) : undefined;
  }

  /**
   * Counts one more member of `room` on `nodeId` (a room with a new node starts over); true
   * when the room starts (its first member, or its first on this node).
   */
  joinRoom(room: string, nodeId: string): boolean {
    const row = this.#sql
      .exec(
        `INSERT INTO rooms (room, node_id, members) VALUES (?, ?, 1) ON CONFLICT (room) DO UPDATE SET
        members = CASE WHEN node_id = excluded.node_id THEN members + 1 ELSE 1 END,
        node_id = excluded.node_id RETURNING members`,
        room,
        nodeId,
      )
      .one();
    return Number(row.members) === 1;
  }

  /** One member fewer; the assignment ends with the last member: returns its node then. */
  leaveRoom(room: string): string | undefined {
    this.#sql.exec('UPDATE rooms SET members = members - 1 WHERE room = ?', room);
    const ended = this.#sql
      .exec('DELETE FROM rooms WHERE room = ? AND members <= 0 RETURNING node_id', room)
      .toArray()[0];
    return ended ? String(ended.node_id) : undefined;
  }

  count(metric: ScalarKey, label = '', by = 1): void {
    addToCounter(this.#sql, metric, label, by);
  }

  counters(): CounterRow[] {
    return readCounters(this.#sql);
  }
}
