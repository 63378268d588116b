/** The `idempotency` table: one row per (device, Idempotency-Key) hash. */

export interface IdempotencyRow {
  bodyHash: string;
  status: number | null;
  response: string | null;
  expiresAt: number;
}

export interface IdempotencyStore {
  get(keyHash: string): IdempotencyRow | undefined;
  put(keyHash: string, row: IdempotencyRow): void;
  delete(keyHash: string): void;
  prune(now: number): void;
  nextExpiry(): number | null;
}

export class SqlIdempotencyStore implements IdempotencyStore {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  get(keyHash: string): IdempotencyRow | undefined {
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

  put(keyHash: string, row: IdempotencyRow): void {
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

  delete(keyHash: string): void {
    this.#sql.exec('DELETE FROM idempotency WHERE key_hash = ?', keyHash);
  }

  prune(now: number): void {
    this.#sql.exec('DELETE FROM idempotency WHERE expires_at <= ?', now);
  }

  nextExpiry(): number | null {
    const row = this.#sql.exec('SELECT MIN(expires_at) AS e FROM idempotency').one();
    return row.e === null ? null : Number(row.e);
  }
}
