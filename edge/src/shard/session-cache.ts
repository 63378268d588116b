/**
 * The shard's sessions with their rows kept in the object's memory: a read (`GET /sessions/:id`,
 * a listing page, the checks before every signaling call) is a Map lookup instead of a SQLite
 * query that materializes 19 columns and parses JSON. SQLite stays the truth: every write goes to
 * it first, in the caller's transaction, and only then to the cache; the cache starts empty with
 * each object instance and fills on use.
 *
 * Why it is safe: a Durable Object is the only writer of its storage and runs one call's
 * synchronous code at a time, so a cached row cannot go stale behind its back. A transaction
 * that fails after a write was cached is rolled back by SQLite, and its owner calls `forget()`
 * (session-shard.ts), so the cache never keeps a row the storage does not have.
 *
 * Records are handed out as copies: the shard's logic changes a record before saving it, and a
 * save that throws must not leave the change in the cache. (`tracks` and `metadata` are shared:
 * the logic replaces them, never edits them in place.)
 */
import type { SessionRecord } from '../session/view.ts';
import type { ListFilter, SessionRepo, SqlSessionRepo } from './session-repo.ts';

/** Rows kept per object; past it the one written or loaded longest ago goes first. */
export const CACHED_SESSIONS_MAX = 10_000;

export class CachedSessionRepo implements SessionRepo {
  readonly #sql: SqlSessionRepo;
  readonly #rows = new Map<string, SessionRecord>();
  readonly #max: number;

  constructor(sql: SqlSessionRepo, max = CACHED_SESSIONS_MAX) {
    this.#sql = sql;
    this.#max = max;
  }

  /** Rows cached now (for tests and metrics). */
  get size(): number {
    return this.#rows.size;
  }

  /** Drops every cached row: after a failed transaction, or rows changed behind the object's back. */
  forget(): void {
    this.#rows.clear();
  }

  insert(r: SessionRecord, deadline: number): void {
    this.#sql.insert(r, deadline);
    this.#keep(r);
  }

  get(id: string): SessionRecord | undefined {
    const r = this.#cached(id) ?? this.#load(id);
    return r && { ...r };
  }

  save(r: SessionRecord, deadline: number): void {
    this.#sql.save(r, deadline);
    this.#keep(r);
  }

  delete(id: string): void {
    this.#sql.delete(id);
    this.#rows.delete(id);
  }

  /** The page's ids from the (device_id, id) index, their rows from memory where cached. */
  list(f: ListFilter): SessionRecord[] {
    const out: SessionRecord[] = [];
    for (const id of this.#sql.listIds(f)) {
      const r = this.#cached(id) ?? this.#load(id);
      if (r) out.push({ ...r });
    }
    return out;
  }

  openOnNode(nodeId: string, before: number): SessionRecord[] {
    return this.#sql.openOnNode(nodeId, before);
  }

  due(now: number, max: number): SessionRecord[] {
    return this.#sql.due(now, max);
  }

  nextDeadline(): number | null {
    return this.#sql.nextDeadline();
  }

  activeCount(): number {
    return this.#sql.activeCount();
  }

  openForDevice(deviceId: string): number {
    return this.#sql.openForDevice(deviceId);
  }

  #cached(id: string): SessionRecord | undefined {
    return this.#rows.get(id);
  }

  #load(id: string): SessionRecord | undefined {
    const r = this.#sql.get(id);
    if (r) this.#keep(r);
    return r;
  }

  #keep(r: SessionRecord): void {
    this.#rows.delete(r.id);
    this.#rows.set(r.id, { ...r });
    if (this.#rows.size > this.#max) this.#rows.delete(this.#rows.keys().next().value as string);
  }
}
