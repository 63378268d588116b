/**
 * Counters persisted in a Durable Object's SQLite storage: the shards and the registry each keep
 * theirs in a `counters` table, summed across objects by the metrics scrape.
 */
import type { ScalarKey } from './definitions.ts';

export const COUNTERS_TABLE = `CREATE TABLE IF NOT EXISTS counters (
    name TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    value INTEGER NOT NULL,
    PRIMARY KEY (name, label)
  )`;

/** Histogram series: per-bucket counts as a JSON array (the last one is +Inf) and their sum. */
export const HISTOGRAMS_TABLE = `CREATE TABLE IF NOT EXISTS histograms (
    name TEXT NOT NULL,
    label TEXT NOT NULL,
    counts TEXT NOT NULL,
    sum REAL NOT NULL,
    PRIMARY KEY (name, label)
  )`;

export interface CounterRow {
  name: string;
  label: string;
  value: number;
}

/** Adds `by` to the counter `metric{label}`. */
export function addToCounter(sql: SqlStorage, metric: ScalarKey, label = '', by = 1): void {
  sql.exec(
    `INSERT INTO counters (name, label, value) VALUES (?, ?, ?)
      ON CONFLICT (name, label) DO UPDATE SET value = value + excluded.value`,
    metric,
    label,
    by,
  );
}

export function readCounters(sql: SqlStorage): CounterRow[] {
  return sql
    .exec('SELECT name, label, value FROM counters')
    .toArray()
    .map((r) => ({ name: String(r.name), label: String(r.label), value: Number(r.value) }));
}
