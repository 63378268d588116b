/**
 * The hand-off outbox of an object that raises webhook events (a session shard, a room placer,
 * the node registry): events wait here, in the object's own SQLite, until a dispatcher object
 * has stored them. The row is written in the same synchronous turn as the state change that
 * raised it, so the runtime commits both together (Durable Objects coalesce the writes of one
 * turn into one atomic commit, and the output gate holds the reply until it is durable): no
 * event is lost to a crash or a failed call between the state change and the hand-off.
 */
import type { WebhookEvent } from './events.ts';

export interface PendingEvent {
  seq: number;
  event: WebhookEvent;
}

/** What the sink needs of the outbox (SQL here, an array in unit tests). */
export interface HandoffStore {
  add(event: WebhookEvent): void;
  /** The oldest `limit` events, in the order they were added. */
  oldest(limit: number): PendingEvent[];
  /** Deletes the events with these sequence numbers (at most 100 per call). */
  remove(seqs: readonly number[]): void;
  count(): number;
}

export const HANDOFF_SCHEMA = `CREATE TABLE IF NOT EXISTS webhook_handoff (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT NOT NULL
)`;

export class SqlHandoffStore implements HandoffStore {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(HANDOFF_SCHEMA);
  }

  add(event: WebhookEvent): void {
    this.#sql.exec('INSERT INTO webhook_handoff (event) VALUES (?)', JSON.stringify(event));
  }

  oldest(limit: number): PendingEvent[] {
    return this.#sql
      .exec('SELECT seq, event FROM webhook_handoff ORDER BY seq LIMIT ?', limit)
      .toArray()
      .map((r) => ({ seq: Number(r.seq), event: JSON.parse(String(r.event)) as WebhookEvent }));
  }

  remove(seqs: readonly number[]): void {
    if (seqs.length === 0) return;
    this.#sql.exec(
      `DELETE FROM webhook_handoff WHERE seq IN (${seqs.map(() => '?').join(', ')})`,
      ...seqs,
    );
  }

  count(): number {
    return Number(this.#sql.exec('SELECT COUNT(*) AS n FROM webhook_handoff').one().n);
  }
}
