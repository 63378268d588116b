/**
 * SQL access for the NodeRegistry: nodes, reservations of the shared capacity pool, per-node
 * signature floors, node losses waiting for their fan-out, counters. Room -> node assignments
 * live in the room placers (placement/room-placer.ts), not here.
 */
import type { Heartbeat, NodeLocation, NodeState } from '../../../shared/internal.ts';
import { COUNTERS_TABLE, HISTOGRAMS_TABLE } from '../metrics/counter-table.ts';
import { addColumn } from '../sql-schema.ts';
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
  // Reservations from the shared pool (capacity-quota.ts) since the node's last heartbeat, as a
  // JSON array of their times (ms): each holds a slot until the heartbeat counts it or it
  // expires unoffered.
  `CREATE TABLE IF NOT EXISTS pending (node_id TEXT PRIMARY KEY, at TEXT NOT NULL)`,
  // Newest signed timestamp accepted per node: a heartbeat must be newer (replays are refused,
  // across restarts too). Kept after a node is dropped, pruned once past the signature window.
  `CREATE TABLE IF NOT EXISTS floors (node_id TEXT PRIMARY KEY, ts INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS losses (
    node_id TEXT NOT NULL, started_at INTEGER NOT NULL, reason TEXT NOT NULL,
    before INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (node_id, started_at)
  )`,
  COUNTERS_TABLE,
  // The counters class (shard-counters.ts) reads histograms too; none are kept here.
  HISTOGRAMS_TABLE,
];

export class RegistryStore {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    for (const statement of SCHEMA) sql.exec(statement);
    addColumn(sql, 'nodes', 'location', 'TEXT');
  }

  nodes(): NodeRecord[] {
    return this.#sql
      .exec('SELECT * FROM nodes ORDER BY id')
      .toArray()
      .map((r) => ({
        id: String(r.id),
        url: String(r.url),
        region: String(r.region),
        ...(r.location ? (JSON.parse(String(r.location)) as NodeLocation) : {}),
        state: r.state as NodeState,
        startedAt: Number(r.started_at),
        lastSeen: Number(r.last_seen),
        load: JSON.parse(String(r.load)) as Heartbeat['load'],
      }));
  }

  node(id: string): NodeRecord | undefined {
    return this.nodes().find((n) => n.id === id);
  }

  /** Live reservations of the shared pool on `id`: made at or after `since` (ms). */
  pending(id: string, since: number): number[] {
    const row = this.#sql.exec('SELECT at FROM pending WHERE node_id = ?', id).toArray()[0];
    return (JSON.parse(String(row?.at ?? '[]')) as number[]).filter((t) => t >= since);
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
      `INSERT INTO nodes (id, url, region, location, state, started_at, last_seen, load, pending)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET url = excluded.url,
        region = excluded.region, location = excluded.location, state = excluded.state,
        started_at = excluded.started_at, last_seen = excluded.last_seen, load = excluded.load,
        pending = excluded.pending`,
      n.id,
      n.url,
      n.region,
      n.latitude !== undefined && n.longitude !== undefined
        ? JSON.stringify({ latitude: n.latitude, longitude: n.longitude })
        : null,
      n.state,
      n.startedAt,
      n.lastSeen,
      JSON.stringify(n.load),
      0, // unused since reservations moved to the `pending` table
    );
  }

  /** One more reservation on `id` at `now`; reservations before `expiredBefore` are dropped. */
  addPending(id: string, now: number, expiredBefore: number): void {
    const live = this.pending(id, expiredBefore);
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

  /** Forgets a node (its reservations too). */
  dropNode(id: string): void {
    this.#sql.exec('DELETE FROM pending WHERE node_id = ?', id);
    this.#sql.exec('DELETE FROM nodes WHERE id = ?', id);
  }
}
