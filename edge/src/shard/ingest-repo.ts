/**
 * What a shard keeps of its WHIP/WHEP sessions beside the session row: the client's last offer
 * and the ICE generation (ETag, ICE restart over PATCH; whip/ice-restart.ts). A table of its own,
 * so session rows (read by every listing) stay small.
 */

export interface IngestIce {
  /** The client's last offer, as the node accepted it. */
  offer: string;
  /** 1 at creation, +1 per ICE restart. */
  generation: number;
}

export interface IngestRepo {
  get(sessionId: string): IngestIce | undefined;
  put(sessionId: string, ice: IngestIce): void;
  delete(sessionId: string): void;
}

export const INGEST_SCHEMA = `CREATE TABLE IF NOT EXISTS ingest_ice (
  session_id TEXT PRIMARY KEY, offer TEXT NOT NULL, generation INTEGER NOT NULL
) WITHOUT ROWID`;

export class SqlIngestRepo implements IngestRepo {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  get(sessionId: string): IngestIce | undefined {
    const row = this.#sql
      .exec('SELECT offer, generation FROM ingest_ice WHERE session_id = ?', sessionId)
      .toArray()[0];
    return row ? { offer: String(row.offer), generation: Number(row.generation) } : undefined;
  }

  put(sessionId: string, ice: IngestIce): void {
    this.#sql.exec(
      `INSERT INTO ingest_ice (session_id, offer, generation) VALUES (?, ?, ?)
        ON CONFLICT (session_id) DO UPDATE SET offer = excluded.offer,
        generation = excluded.generation`,
      sessionId,
      ice.offer,
      ice.generation,
    );
  }

  delete(sessionId: string): void {
    this.#sql.exec('DELETE FROM ingest_ice WHERE session_id = ?', sessionId);
  }
}
