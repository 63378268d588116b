/**
 * A shard's metric counters and histograms: added to in memory, written to SQLite in batches.
 *
 * Why: counting a read in SQLite made every read a write (and, on disk, an fsync). Additions now
 * accumulate in memory and reach the `counters` / `histograms` tables when the shard writes
 * anyway (`carry()` inside the same transaction as the call's own writes, at most once per
 * CARRY_INTERVAL_MS), when a scrape reads
 * them (`read()` flushes first), and otherwise on a timer the shard arms (FLUSH_DELAY_MS). So
 * totals survive restarts; an object that is evicted or killed loses at most the additions of
 * the last FLUSH_DELAY_MS that no write carried along (in practice: reads counted in
 * `shard_requests`, rejected candidates, slow-consumer closes).
 */
import { addToCounter, type CounterRow, readCounters } from '../metrics/counter-table.ts';
import type { HistogramKey, HistogramSample, ScalarKey } from '../metrics/definitions.ts';

/** Longest an addition waits in memory when nothing else writes, in ms. */
export const FLUSH_DELAY_MS = 5_000;
/**
 * Least time between two flushes carried by the shard's own writes, in ms. Why: a flush is an
 * upsert per series; carried by every write it was two of a create's three statements (and
 * their pages in each commit). Additions a write does not carry wait for the next carrying write
 * or the FLUSH_DELAY_MS timer, so what a crash can lose stays bounded by FLUSH_DELAY_MS.
 */
export const CARRY_INTERVAL_MS = 1_000;

export type HistogramRow = Omit<HistogramSample, 'metric'> & { name: string };

/** What the shard's logic needs: count things. */
export interface Counters {
  count(metric: ScalarKey, label?: string, by?: number): void;
}

export class ShardCounters implements Counters {
  readonly #sql: SqlStorage;
  readonly #scalars = new Map<string, { metric: ScalarKey; label: string; by: number }>();
  readonly #histograms = new Map<
    string,
    { metric: HistogramKey; label: string; counts: number[]; sum: number }
  >();
  /** Called when the first addition after a flush is made (the shard arms its timer). */
  readonly #onPending: () => void;
  /** When the last flush ran (ms); 0: never since the object started. */
  #flushedAt = 0;

  constructor(sql: SqlStorage, onPending: () => void) {
    this.#sql = sql;
    this.#onPending = onPending;
  }

  get pending(): boolean {
    return this.#scalars.size > 0 || this.#histograms.size > 0;
  }

  count(metric: ScalarKey, label = '', by = 1): void {
    const key = `${metric}\n${label}`;
    const entry = this.#scalars.get(key);
    if (entry) entry.by += by;
    else {
      this.#notePending();
      this.#scalars.set(key, { metric, label, by });
    }
  }

  /** Adds per-bucket counts and a sum to a histogram series. */
  observe(metric: HistogramKey, label: string, counts: readonly number[], sum: number): void {
    const key = `${metric}\n${label}`;
    const entry = this.#histograms.get(key);
    if (entry && entry.counts.length === counts.length) {
      counts.forEach((c, i) => {
        entry.counts[i] = (entry.counts[i] ?? 0) + c;
      });
      entry.sum += sum;
      return;
    }
    if (entry) this.#flushHistogram(entry);
    else this.#notePending();
    this.#histograms.set(key, { metric, label, counts: [...counts], sum });
  }

  /**
   * Flushes inside a transaction the caller opened for its own writes, unless a flush happened
   * within CARRY_INTERVAL_MS (then the additions wait: see there).
   */
  carry(now: number): void {
    if (this.pending && now - this.#flushedAt >= CARRY_INTERVAL_MS) this.flush(now);
  }

  /** Writes what accumulated (callers wrap it in their transaction). */
  flush(now: number = Date.now()): void {
    this.#flushedAt = now;
    for (const s of this.#scalars.values()) addToCounter(this.#sql, s.metric, s.label, s.by);
    this.#scalars.clear();
    for (const h of this.#histograms.values()) this.#flushHistogram(h);
    this.#histograms.clear();
  }

  /** The totals, flushed first so a scrape sees everything counted so far. */
  read(): { counters: CounterRow[]; histograms: HistogramRow[] } {
    if (this.pending) this.flush();
    const histograms = this.#sql
      .exec('SELECT name, label, counts, sum FROM histograms')
      .toArray()
      .map((r) => ({
        name: String(r.name),
        label: String(r.label),
        counts: JSON.parse(String(r.counts)) as number[],
        sum: Number(r.sum),
      }));
    return { counters: readCounters(this.#sql), histograms };
  }

  #notePending(): void {
    if (!this.pending) this.#onPending();
  }

  /** Read, add, write one histogram row (one DO turn, so no other writer interleaves). */
  #flushHistogram(h: { metric: HistogramKey; label: string; counts: number[]; sum: number }) {
    const row = this.#sql
      .exec('SELECT counts, sum FROM histograms WHERE name = ? AND label = ?', h.metric, h.label)
      .toArray()[0];
    const stored = row ? (JSON.parse(String(row.counts)) as number[]) : [];
    // A bucket layout that changed since the row was written starts the series over.
    const same = stored.length === h.counts.length;
    const merged = h.counts.map((c, i) => c + (same ? (stored[i] ?? 0) : 0));
    this.#sql.exec(
      `INSERT INTO histograms (name, label, counts, sum) VALUES (?, ?, ?, ?)
        ON CONFLICT (name, label) DO UPDATE SET counts = excluded.counts, sum = excluded.sum`,
      h.metric,
      h.label,
      JSON.stringify(merged),
      h.sum + (row && same ? Number(row.sum) : 0),
    );
  }
}
