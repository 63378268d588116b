/**
 * SQL access for the SessionShard: sessions, their events, idempotency keys, counters and
 * histograms.
 */
import type { EndReason, SessionState, TrackInfo } from '../../../shared/api.ts';
import type { EventBody, SessionEvent } from '../../../shared/events.ts';
import { EVENT_LOG_LIMIT } from '../../../shared/limits.ts';
import { addToCounter, type CounterRow, readCounters } from '../metrics/counter-table.ts';
import type { HistogramKey, HistogramSample, ScalarKey } from '../metrics/definitions.ts';
import type { SessionRecord } from '../session/view.ts';
import { SHARD_SCHEMA } from './schema.ts';

type Row = Record<string, SqlStorageValue>;

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

export interface ListFilter {
  deviceId: string | undefined;
  room: string | undefined;
  afterId: string;
  limit: number;
}

export interface IdempotencyRow {
  bodyHash: string;
  status: number | null;
  response: string | null;
  expiresAt: number;
}

export class SessionStore {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    for (const statement of SHARD_SCHEMA) sql.exec(statement);
  }

  insert(r: SessionRecord, deadline: number): void {
    this.#sql.exec(
      `INSERT INTO sessions (id, device_id, room, echo, state, reason, node_id, node_region,
        node_url, ice_candidates, tracks, metadata, created_at, updated_at, expires_at,
        last_activity, last_seq, deadline) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      r.id,
      r.deviceId,
      r.room,
      r.echo ? 1 : 0,
      r.state,
      r.reason,
      r.nodeId,
      r.nodeRegion,
      r.nodeUrl,
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

  /** Writes the mutable fields of `r` back (the immutable ones never change). */
  save(r: SessionRecord, deadline: number): void {
    this.#sql.exec(
      `UPDATE sessions SET state = ?, reason = ?, ice_candidates = ?, tracks = ?, updated_at = ?,
        last_activity = ?, deadline = ? WHERE id = ?`,
      r.state,
      r.reason,
      r.iceCandidates,
      JSON.stringify(r.tracks),
      r.updatedAt,
      r.lastActivity,
      deadline,
      r.id,
    );
  }

  delete(id: string): void {
    this.#sql.exec('DELETE FROM events WHERE session_id = ?', id);
    this.#sql.exec('DELETE FROM sessions WHERE id = ?', id);
  }

  list(f: ListFilter): SessionRecord[] {
    return this.#sql
      .exec(
        `SELECT * FROM sessions WHERE id > ? AND (? IS NULL OR device_id = ?)
          AND (? IS NULL OR room = ?) ORDER BY id LIMIT ?`,
        f.afterId,
        f.deviceId ?? null,
        f.deviceId ?? null,
        f.room ?? null,
        f.room ?? null,
        f.limit,
      )
      .toArray()
      .map(toRecord);
  }

  /** Sessions still open on a node instance that began before `before`. */
  openOnNode(nodeId: string, before: number): SessionRecord[] {
    return this.#sql
      .exec(
        `SELECT * FROM sessions WHERE node_id = ? AND state NOT IN ('closed', 'failed')
          AND created_at <= ?`,
        nodeId,
        before,
      )
      .toArray()
      .map(toRecord);
  }

  /** Sessions whose reaping deadline has come (bounded per alarm run). */
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
    return Number(
      this.#sql
        .exec("SELECT COUNT(*) AS n FROM sessions WHERE state NOT IN ('closed', 'failed')")
        .one().n,
    );
  }

  /** Appends an event to the session's log with the next seq and returns it as sent. */
  appendEvent(r: SessionRecord, body: EventBody, now: number): SessionEvent {
    const event = { ...body, seq: r.lastSeq + 1, sessionId: r.id, at: new Date(now).toISOString() };
    this.#sql.exec(
      'INSERT INTO events (session_id, seq, body) VALUES (?, ?, ?)',
      r.id,
      event.seq,
      JSON.stringify(event),
    );
    this.#sql.exec('UPDATE sessions SET last_seq = ? WHERE id = ?', event.seq, r.id);
    if (event.seq > EVENT_LOG_LIMIT) {
      this.#sql.exec(
        'DELETE FROM events WHERE session_id = ? AND seq <= ?',
        r.id,
        event.seq - EVENT_LOG_LIMIT,
      );
    }
    r.lastSeq = event.seq;
    return event as SessionEvent;
  }

  lastSeq(sessionId: string): number {
    const row = this.#sql
      .exec('SELECT last_seq FROM sessions WHERE id = ?', sessionId)
      .toArray()[0];
    return row ? Number(row.last_seq) : 0;
  }

  /** Event texts with `from <= seq <= to`, in order. */
  events(sessionId: string, from: number, to: number): string[] {
    return this.#sql
      .exec(
        'SELECT body FROM events WHERE session_id = ? AND seq BETWEEN ? AND ? ORDER BY seq',
        sessionId,
        from,
        to,
      )
      .toArray()
      .map((r) => String(r.body));
  }

  getIdempotency(keyHash: string): IdempotencyRow | undefined {
    const row = this.#sql
      .exec('SELECT * FROM idempotency WHERE key_hash = ?', keyHash)
      .toArray()[0];
    if (!row) return undefined;
    return {
      bodyHash: String(row.body_hash),
      status: row.status === null ? null : Number(row.status),
      response: row.response === null ? null : String(row.response),
      expiresAt: Number(row.expires_at),
    };
  }

  putIdempotency(keyHash: string, row: IdempotencyRow): void {
    this.#sql.exec(
      `INSERT INTO idempotency (key_hash, body_hash, status, response, expires_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (key_hash) DO UPDATE SET body_hash = excluded.body_hash,
        status = excluded.status, response = excluded.response, expires_at = excluded.expires_at`,
      keyHash,
      row.bodyHash,
      row.status,
      row.response,
      row.expiresAt,
    );
  }

  deleteIdempotency(keyHash: string): void {
    this.#sql.exec('DELETE FROM idempotency WHERE key_hash = ?', keyHash);
  }

  pruneIdempotency(now: number): void {
    this.#sql.exec('DELETE FROM idempotency WHERE expires_at <= ?', now);
  }

  nextIdempotencyExpiry(): number | null {
    const row = this.#sql.exec('SELECT MIN(expires_at) AS e FROM idempotency').one();
    return row.e === null ? null : Number(row.e);
  }

  count(metric: ScalarKey, label = '', by = 1): void {
    addToCounter(this.#sql, metric, label, by);
  }

  counters(): CounterRow[] {
    return readCounters(this.#sql);
  }

  /** Adds per-bucket counts and a sum to a histogram series (read, add, write: one DO turn). */
  observe(metric: HistogramKey, label: string, counts: readonly number[], sum: number): void {
    const row = this.#sql
      .exec('SELECT counts, sum FROM histograms WHERE name = ? AND label = ?', metric, label)
      .toArray()[0];
    const stored = row ? (JSON.parse(String(row.counts)) as number[]) : [];
    // A bucket layout that changed since the row was written starts the series over.
    const base = stored.length === counts.length ? stored : counts.map(() => 0);
    const merged = counts.map((c, i) => c + (base[i] ?? 0));
    this.#sql.exec(
      `INSERT INTO histograms (name, label, counts, sum) VALUES (?, ?, ?, ?)
        ON CONFLICT (name, label) DO UPDATE SET counts = excluded.counts, sum = excluded.sum`,
      metric,
      label,
      JSON.stringify(merged),
      sum + (row && stored.length === counts.length ? Number(row.sum) : 0),
    );
  }

  histograms(): Array<Omit<HistogramSample, 'metric'> & { name: string }> {
    return this.#sql
      .exec('SELECT name, label, counts, sum FROM histograms')
      .toArray()
      .map((r) => ({
        name: String(r.name),
        label: String(r.label),
        counts: JSON.parse(String(r.counts)) as number[],
        sum: Number(r.sum),
      }));
  }
}
