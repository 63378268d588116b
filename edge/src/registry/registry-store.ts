/** SQL access for the NodeRegistry: nodes, room -> node assignments, counters. */
import type { Heartbeat, NodeState } from '../../../shared/internal.ts';
import {
  addToCounter,
  COUNTERS_TABLE,
  type CounterRow,
  readCounters,
} from '../metrics/counter-table.ts';
import type { ScalarKey } from '../metrics/definitions.ts';
import type { NodeRecord } from './node-record.ts';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS nodes (
    id TEXT PRIMARY KEY, url TEXT NOT NULL, region TEXT NOT NULL, state TEXT NOT NULL,
    started_at INTEGER NOT NULL, last_seen INTEGER NOT NULL, load TEXT NOT NULL,
    pending INTEGER NOT NULL DEFAULT 0
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

  nodes(): NodeRecord[] {
    return this.#sql
      .exec('SELECT * FROM nodes ORDER BY id')
      .toArray()
      .map((r) => ({
        id: String(r.id),
        url: String(r.url),
        region: String(r.region),
        state: r.state as NodeState,
        startedAt: Number(r.started_at),
        lastSeen: Number(r.last_seen),
        load: JSON.parse(String(r.load)) as Heartbeat['load'],
        pending: Number(r.pending),
      }));
  }

  node(id: string): NodeRecord | undefined {
    return this.nodes().find((n) => n.id === id);
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
      n.pending,
    );
  }

  addPending(id: string): void {
    this.#sql.exec('UPDATE nodes SET pending = pending + 1 WHERE id = ?', id);
  }

  /** Forgets a node and the rooms it held (they may start over on another node). */
  dropNode(id: string): void {
    this.#sql.exec('DELETE FROM rooms WHERE node_id = ?', id);
    this.#sql.exec('DELETE FROM nodes WHERE id = ?', id);
  }

  roomNode(room: string): string | undefined {
    const row = this.#sql.exec('SELECT node_id FROM rooms WHERE room = ?', room).toArray()[0];
    return row ? String(row.node_id) : undefined;
  }

  /** Counts one more member of `room` on `nodeId` (a room with a new node starts over). */
  joinRoom(room: string, nodeId: string): void {
    this.#sql.exec(
      `INSERT INTO rooms (room, node_id, members) VALUES (?, ?, 1) ON CONFLICT (room) DO UPDATE SET
        members = CASE WHEN node_id = excluded.node_id THEN members + 1 ELSE 1 END,
        node_id = excluded.node_id`,
      room,
      nodeId,
    );
  }

  /** One member fewer; the assignment ends with the last member. */
  leaveRoom(room: string): void {
    this.#sql.exec('UPDATE rooms SET members = members - 1 WHERE room = ?', room);
    this.#sql.exec('DELETE FROM rooms WHERE room = ? AND members <= 0', room);
  }

  count(metric: ScalarKey, label = '', by = 1): void {
    addToCounter(this.#sql, metric, label, by);
  }

  counters(): CounterRow[] {
    return readCounters(this.#sql);
  }
}
