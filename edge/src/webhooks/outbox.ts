/**
 * A dispatcher's SQLite storage: the outbox (one row per event and receiver, in arrival order),
 * the receivers disabled by a 410, and the dispatcher's counters. Deliveries to one receiver
 * leave strictly in `seq` order: only the oldest row of a receiver is ever attempted.
 */
import { addToCounter, COUNTERS_TABLE, readCounters } from '../metrics/counter-table.ts';
import type { ScalarKey } from '../metrics/definitions.ts';

export interface Delivery {
  seq: number;
  id: string;
  url: string;
  body: string;
  createdAt: number;
  attempts: number;
  nextAt: number;
}

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, url TEXT NOT NULL,
    body TEXT NOT NULL, created_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL
  )`,
  'CREATE INDEX IF NOT EXISTS outbox_url ON outbox (url, seq)',
  `CREATE TABLE IF NOT EXISTS disabled (
    url TEXT PRIMARY KEY, at INTEGER NOT NULL, status INTEGER NOT NULL
  )`,
  COUNTERS_TABLE,
];

function toDelivery(r: Record<string, SqlStorageValue>): Delivery {
  return {
    seq: Number(r.seq),
    id: String(r.id),
    url: String(r.url),
    body: String(r.body),
    createdAt: Number(r.created_at),
    attempts: Number(r.attempts),
    nextAt: Number(r.next_at),
  };
}

export class Outbox {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    for (const statement of SCHEMA) sql.exec(statement);
  }

  add(id: string, url: string, body: string, now: number): void {
    this.#sql.exec(
      'INSERT INTO outbox (id, url, body, created_at, next_at) VALUES (?, ?, ?, ?, ?)',
      id,
      url,
      body,
      now,
      now,
    );
  }

  depth(): number {
    return Number(this.#sql.exec('SELECT COUNT(*) AS n FROM outbox').one().n);
  }

  /** Creation time of the oldest queued delivery (ms), or null when empty. */
  oldest(): number | null {
    const row = this.#sql.exec('SELECT MIN(created_at) AS t FROM outbox').one();
    return row.t === null ? null : Number(row.t);
  }

  /** The oldest delivery of each receiver: the only ones that may be attempted. */
  heads(): Delivery[] {
    return this.#sql
      .exec(
        `SELECT o.* FROM outbox o JOIN (SELECT url, MIN(seq) AS seq FROM outbox GROUP BY url) h
          ON o.seq = h.seq ORDER BY o.seq`,
      )
      .toArray()
      .map(toDelivery);
  }

  head(url: string): Delivery | undefined {
    const row = this.#sql
      .exec('SELECT * FROM outbox WHERE url = ? ORDER BY seq LIMIT 1', url)
      .toArray()[0];
    return row ? toDelivery(row) : undefined;
  }

  remove(seq: number): void {
    this.#sql.exec('DELETE FROM outbox WHERE seq = ?', seq);
  }

  reschedule(seq: number, attempts: number, nextAt: number): void {
    this.#sql.exec(
      'UPDATE outbox SET attempts = ?, next_at = ? WHERE seq = ?',
      attempts,
      nextAt,
      seq,
    );
  }

  /** Disables `url` and drops what was queued for it; returns how many were dropped. */
  disable(url: string, status: number, now: number): number {
    this.#sql.exec(
      'INSERT INTO disabled (url, at, status) VALUES (?, ?, ?) ON CONFLICT (url) DO NOTHING',
      url,
      now,
      status,
    );
    return this.#sql.exec('DELETE FROM outbox WHERE url = ?', url).rowsWritten;
  }

  disabledUrls(): Set<string> {
    return new Set(
      this.#sql
        .exec('SELECT url FROM disabled')
        .toArray()
        .map((r) => String(r.url)),
    );
  }

  /** Drops deliveries to receivers no longer configured; returns how many. */
  dropUnconfigured(configured: readonly string[]): number {
    let dropped = 0;
    for (const h of this.heads()) {
      if (!configured.includes(h.url)) {
        dropped += this.#sql.exec('DELETE FROM outbox WHERE url = ?', h.url).rowsWritten;
      }
    }
    return dropped;
  }

  count(metric: ScalarKey, label = '', by = 1): void {
    if (by > 0) addToCounter(this.#sql, metric, label, by);
  }

  counters() {
    return readCounters(this.#sql);
  }
}
