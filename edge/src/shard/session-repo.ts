/** The `sessions` table of a shard: one row per session, with its reaping deadline. */
import type { EndReason, SessionState, TrackInfo } from '../../../shared/api.ts';
import type { SessionRecord } from '../session/view.ts';

type Row = Record<string, SqlStorageValue>;

export interface ListFilter {
  deviceId: string | undefined;
  room: string | undefined;
  afterId: string;
  limit: number;
}

/** What the shard's logic needs of its session storage (a SQL table here, a Map in unit tests). */
export interface SessionRepo {
  insert(r: SessionRecord, deadline: number): void;
  /** A copy the caller may change (and then `save`). */
  get(id: string): SessionRecord | undefined;
  /**
   * The stored record itself, to read only: the same object until the session is next written
   * (a new object then), so what a caller derives from it can be memoized by identity.
   */
  peek(id: string): Readonly<SessionRecord> | undefined;
  /** Writes the mutable fields of `r` back (the immutable ones never change). */
  save(r: SessionRecord, deadline: number): void;
  /** Deletes the session and its events. */
  delete(id: string): void;
  /** One page, in id order; the records are read-only, as `peek`'s. */
  list(f: ListFilter): ReadonlyArray<Readonly<SessionRecord>>;
  /** Sessions still open on a node instance that began before `before`. */
  openOnNode(nodeId: string, before: number): SessionRecord[];
  /** Sessions whose reaping deadline has come (at most `max`). */
  due(now: number, max: number): SessionRecord[];
  nextDeadline(): number | null;
  activeCount(): number;
  /** Sessions of `deviceId` not yet ended. */
  openForDevice(deviceId: string): number;
}

const OPEN = "state NOT IN ('closed', 'failed')";

function toRecord(r: Row): SessionRecord {
  return {
    id: String(r.id),
    deviceId: String(r.device_id),
    room: String(r.room),
    echo: r.echo === 1,
    state: r.state as SessionState,
    reason: (r.reason as EndReason | null) ?? null,
    nodeId: String(r.node_id),
    nodeRegion: String(r.node_region),
    nodeUrl: String(r.node_url),
    nodeDistanceKm:
      r.node_distance_km === null || r.node_distance_km === undefined
        ? null
        : Number(r.node_distance_km),
    iceCandidates: Number(r.ice_candidates),
    tracks: JSON.parse(String(r.tracks)) as TrackInfo[],
    metadata:
      r.metadata === null ? null : (JSON.parse(String(r.metadata)) as SessionRecord['metadata']),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    expiresAt: Number(r.expires_at),
    lastActivity: Number(r.last_activity),
    lastSeq: Number(r.last_seq),
  };
}

export class SqlSessionRepo implements SessionRepo {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  insert(r: SessionRecord, deadline: number): void {
    this.#sql.exec(
      `INSERT INTO sessions (id, device_id, room, echo, state, reason, node_id, node_region,
        node_url, node_distance_km, ice_candidates, tracks, metadata, created_at, updated_at,
        expires_at, last_activity, last_seq, deadline)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      r.id,
      r.deviceId,
      r.room,
      r.echo ? 1 : 0,
      r.state,
      r.reason,
      r.nodeId,
      r.nodeRegion,
      r.nodeUrl,
      r.nodeDistanceKm,
      r.iceCandidates,
      JSON.stringify(r.tracks),
      r.metadata === null ? null : JSON.stringify(r.metadata),
      r.createdAt,
      r.updatedAt,
      r.expiresAt,
      r.lastActivity,
      r.lastSeq,
      deadline,
    );
  }

  get(id: string): SessionRecord | undefined {
    const row = this.#sql.exec('SELECT * FROM sessions WHERE id = ?', id).toArray()[0];
    return row ? toRecord(row) : undefined;
  }

  peek(id: string): Readonly<SessionRecord> | undefined {
    return this.get(id);
  }

  save(r: SessionRecord, deadline: number): void {
    this.#sql.exec(
      `UPDATE sessions SET state = ?, reason = ?, ice_candidates = ?, tracks = ?, updated_at = ?,
        last_activity = ?, last_seq = ?, deadline = ? WHERE id = ?`,
      r.state,
      r.reason,
      r.iceCandidates,
      JSON.stringify(r.tracks),
      r.updatedAt,
      r.lastActivity,
      r.lastSeq,
      deadline,
      r.id,
    );
  }

  delete(id: string): void {
    this.#sql.exec('DELETE FROM events WHERE session_id = ?', id);
    this.#sql.exec('DELETE FROM sessions WHERE id = ?', id);
  }

  list(f: ListFilter): SessionRecord[] {
    return this.#listRows('*', f).map(toRecord);
  }

  /** The ids of the page `list` returns, in its order (no row is materialized). */
  listIds(f: ListFilter): string[] {
    return this.#listRows('id', f).map((r) => String(r.id));
  }

  #listRows(columns: '*' | 'id', f: ListFilter): Row[] {
    // Two statements rather than `(? IS NULL OR device_id = ?)`: with the device named, SQLite
    // walks the (device_id, id) index and reads only that device's rows; with the generic form
    // it scanned the table in id order, other devices' sessions included.
    const rows =
      f.deviceId === undefined
        ? this.#sql.exec(
            `SELECT ${columns} FROM sessions WHERE id > ? AND (? IS NULL OR room = ?) ORDER BY id LIMIT ?`,
            f.afterId,
            f.room ?? null,
            f.room ?? null,
            f.limit,
          )
        : this.#sql.exec(
            `SELECT ${columns} FROM sessions WHERE device_id = ? AND id > ? AND (? IS NULL OR room = ?)
              ORDER BY id LIMIT ?`,
            f.deviceId,
            f.afterId,
            f.room ?? null,
            f.room ?? null,
            f.limit,
          );
    return rows.toArray();
  }

  openOnNode(nodeId: string, before: number): SessionRecord[] {
    return this.#sql
      .exec(
        `SELECT * FROM sessions WHERE node_id = ? AND ${OPEN} AND created_at <= ?`,
        nodeId,
        before,
      )
      .toArray()
      .map(toRecord);
  }

  due(now: number, max: number): SessionRecord[] {
    return this.#sql
      .exec('SELECT * FROM sessions WHERE deadline <= ? ORDER BY deadline LIMIT ?', now, max)
      .toArray()
      .map(toRecord);
  }

  nextDeadline(): number | null {
    const row = this.#sql.exec('SELECT MIN(deadline) AS d FROM sessions').one();
    return row.d === null ? null : Number(row.d);
  }

  activeCount(): number {
    return Number(this.#sql.exec(`SELECT COUNT(*) AS n FROM sessions WHERE ${OPEN}`).one().n);
  }

  openForDevice(deviceId: string): number {
    // The (device_id, id) index bounds this to the device's own rows.
    return Number(
      this.#sql
        .exec(`SELECT COUNT(*) AS n FROM sessions WHERE device_id = ? AND ${OPEN}`, deviceId)
        .one().n,
    );
  }
}
