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
 * `get` hands out copies (the shard's logic changes a record before saving it, and a save that
 * throws must not leave the change in the cache); `peek` and `list` hand out the cached objects,
 * read-only, each replaced by a new object when its session is written. (`tracks` and `metadata`
 * are shared by copies: the logic replaces them, never edits them in place.)
 *
 * A device's listing pages are kept too, as ids: a page changes only when one of the device's
 * sessions is created or deleted (a session never changes device or room), so each device has a
 * version that those two bump, and a page read under an older version is read again.
 */
import type { SessionRecord } from '../session/view.ts';
import type { ListFilter, SessionRepo } from './session-repo.ts';

/** The storage behind the cache: a repo that can also list a page's ids alone (SqlSessionRepo). */
export interface StoredSessions extends SessionRepo {
  listIds(f: ListFilter): string[];
}

/**
 * Rows kept per object; past it the one written or loaded longest ago goes first. About 1 KB
 * each with its view text: ~5 MB per shard at most, well inside an isolate's 128 MB.
 */
export const CACHED_SESSIONS_MAX = 5_000;
/** Listing pages (their ids) kept per object, the oldest going first. */
export const CACHED_PAGES_MAX = 1_000;

/** Devices whose version is tracked; past it every version and page is dropped at once. */
const DEVICE_VERSIONS_MAX = 10_000;

interface Page {
  deviceVersion: number;
  ids: string[];
}

export class CachedSessionRepo implements SessionRepo {
  readonly #sql: StoredSessions;
  readonly #rows = new Map<string, Readonly<SessionRecord>>();
  readonly #pages = new Map<string, Page>();
  /** Per device: bumped by each create and delete of one of its sessions. */
  readonly #deviceVersions = new Map<string, number>();
  readonly #max: number;

  constructor(sql: StoredSessions, max = CACHED_SESSIONS_MAX) {
    this.#sql = sql;
    this.#max = max;
  }

  /** Rows cached now (for tests). */
  get size(): number {
    return this.#rows.size;
  }

  /** Drops everything cached: after a failed transaction, or rows changed behind the object's back. */
  forget(): void {
    this.#rows.clear();
    this.#pages.clear();
    this.#deviceVersions.clear();
  }

  insert(r: SessionRecord, deadline: number): void {
    this.#sql.insert(r, deadline);
    this.#keep(r);
    this.#bump(r.deviceId);
  }

  get(id: string): SessionRecord | undefined {
    const r = this.peek(id);
    return r && { ...r };
  }

  peek(id: string): Readonly<SessionRecord> | undefined {
    return this.#rows.get(id) ?? this.#load(id);
  }

  save(r: SessionRecord, deadline: number): void {
    this.#sql.save(r, deadline);
    this.#keep(r);
  }

  delete(id: string): void {
    const deviceId = this.peek(id)?.deviceId;
    this.#sql.delete(id);
    this.#rows.delete(id);
    if (deviceId !== undefined) this.#bump(deviceId);
  }

  list(f: ListFilter): ReadonlyArray<Readonly<SessionRecord>> {
    const out: Array<Readonly<SessionRecord>> = [];
    for (const id of this.#pageIds(f)) {
      const r = this.peek(id);
      if (r) out.push(r);
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

  /** The page's ids: a device's from the page cache while the device's sessions stay the same. */
  #pageIds(f: ListFilter): string[] {
    // An admin listing (no device) reads SQLite each time: it spans every device of the shard.
    if (f.deviceId === undefined) return this.#sql.listIds(f);
    const key = `${f.deviceId}\n${f.room ?? ''}\n${f.afterId}\n${f.limit}`;
    const version = this.#deviceVersions.get(f.deviceId) ?? 0;
    const hit = this.#pages.get(key);
    if (hit?.deviceVersion === version) return hit.ids;
    const ids = this.#sql.listIds(f);
    this.#pages.delete(key);
    this.#pages.set(key, { deviceVersion: version, ids });
    if (this.#pages.size > CACHED_PAGES_MAX) {
      this.#pages.delete(this.#pages.keys().next().value as string);
    }
    return ids;
  }

  #bump(deviceId: string): void {
    if (this.#deviceVersions.size >= DEVICE_VERSIONS_MAX) {
      // Bounded: forgetting the versions forgets the pages read under them too.
      this.#deviceVersions.clear();
      this.#pages.clear();
    }
    this.#deviceVersions.set(deviceId, (this.#deviceVersions.get(deviceId) ?? 0) + 1);
  }

  #load(id: string): Readonly<SessionRecord> | undefined {
    const r = this.#sql.get(id);
    return r && this.#keep(r);
  }

  #keep(r: SessionRecord): Readonly<SessionRecord> {
    const kept = { ...r };
    this.#rows.delete(r.id);
    this.#rows.set(r.id, kept);
    if (this.#rows.size > this.#max) this.#rows.delete(this.#rows.keys().next().value as string);
    return kept;
  }
}
