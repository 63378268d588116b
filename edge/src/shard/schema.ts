import { COUNTERS_TABLE, HISTOGRAMS_TABLE } from '../metrics/counter-table.ts';

/** The SessionShard's SQLite schema; every statement is idempotent, run at each start. */
export const SHARD_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    room TEXT NOT NULL,
    echo INTEGER NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    node_id TEXT NOT NULL,
    node_region TEXT NOT NULL,
    node_url TEXT NOT NULL,
    ice_candidates INTEGER NOT NULL DEFAULT 0,
    tracks TEXT NOT NULL DEFAULT '[]',
    metadata TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    last_activity INTEGER NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0,
    deadline INTEGER NOT NULL
  )`,
  'CREATE INDEX IF NOT EXISTS sessions_deadline ON sessions (deadline)',
  'CREATE INDEX IF NOT EXISTS sessions_node ON sessions (node_id, state)',
  'CREATE INDEX IF NOT EXISTS sessions_device ON sessions (device_id, id)',
  `CREATE TABLE IF NOT EXISTS events (
    session_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
  ) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS idempotency (
    key_hash TEXT PRIMARY KEY,
    body_hash TEXT NOT NULL,
    status INTEGER,
    response TEXT,
    expires_at INTEGER NOT NULL
  )`,
  'CREATE INDEX IF NOT EXISTS idempotency_expiry ON idempotency (expires_at)',
  COUNTERS_TABLE,
  HISTOGRAMS_TABLE,
];
