/** The room placer's storage: room -> node instance, with a member count that ends the room. */
import { COUNTERS_TABLE, HISTOGRAMS_TABLE } from '../metrics/counter-table.ts';
import type { RoomAssignment, RoomRepo } from './placer-core.ts';

export const PLACER_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS rooms (
    room TEXT PRIMARY KEY, node_id TEXT NOT NULL, node_started_at INTEGER NOT NULL,
    members INTEGER NOT NULL
  )`,
  'CREATE INDEX IF NOT EXISTS rooms_node ON rooms (node_id, node_started_at)',
  COUNTERS_TABLE,
  // The counters class (shard-counters.ts) reads histograms too; none are kept here.
  HISTOGRAMS_TABLE,
];

export class SqlRoomRepo implements RoomRepo {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  get(room: string): RoomAssignment | undefined {
    const row = this.#sql
      .exec('SELECT node_id, node_started_at FROM rooms WHERE room = ?', room)
      .toArray()[0];
    return row
      ? { nodeId: String(row.node_id), startedAt: Number(row.node_started_at) }
      : undefined;
  }

  join(room: string, a: RoomAssignment): boolean {
    const row = this.#sql.exec(
      `INSERT INTO rooms (room, node_id, node_started_at, members) VALUES (?, ?, ?, 1)
        ON CONFLICT (room) DO UPDATE SET
        members = CASE WHEN node_id = excluded.node_id
          AND node_started_at = excluded.node_started_at THEN members + 1 ELSE 1 END,
        node_id = excluded.node_id, node_started_at = excluded.node_started_at
        RETURNING members`,
      room,
      a.nodeId,
      a.startedAt,
    );
    return Number(row.one().members) === 1;
  }

  leave(room: string): string | undefined {
    this.#sql.exec('UPDATE rooms SET members = members - 1 WHERE room = ?', room);
    const ended = this.#sql
      .exec('DELETE FROM rooms WHERE room = ? AND members <= 0 RETURNING node_id', room)
      .toArray()[0];
    return ended ? String(ended.node_id) : undefined;
  }

  dropNode(nodeId: string, startedAt: number): string[] {
    return this.#sql
      .exec(
        'DELETE FROM rooms WHERE node_id = ? AND node_started_at = ? RETURNING room',
        nodeId,
        startedAt,
      )
      .toArray()
      .map((r) => String(r.room));
  }

  /** Rooms open now (a gauge for operators). */
  count(): number {
    return Number(this.#sql.exec('SELECT COUNT(*) AS n FROM rooms').one().n);
  }
}
