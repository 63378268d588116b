/**
 * The `events` table: each session's numbered events, the newest EVENT_LOG_LIMIT kept, so an
 * event socket can resume after any seq it still holds.
 */
import type { EventBody, SessionEvent } from '../../../shared/events.ts';
import { EVENT_LOG_LIMIT } from '../../../shared/limits.ts';
import type { SessionRecord } from '../session/view.ts';

export interface EventLog {
  /**
   * Appends an event with the next seq and returns it as sent. Advances `r.lastSeq`; the caller
   * saves the record (in the same transaction), which stores the new last seq.
   */
  append(r: SessionRecord, body: EventBody, now: number): SessionEvent;
  /** Event texts with `from <= seq <= to`, in order. */
  range(sessionId: string, from: number, to: number): string[];
}

export class SqlEventLog implements EventLog {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  append(r: SessionRecord, body: EventBody, now: number): SessionEvent {
    const event = { ...body, seq: r.lastSeq + 1, sessionId: r.id, at: new Date(now).toISOString() };
    this.#sql.exec(
      'INSERT INTO events (session_id, seq, body) VALUES (?, ?, ?)',
      r.id,
      event.seq,
      JSON.stringify(event),
    );
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

  range(sessionId: string, from: number, to: number): string[] {
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
}
