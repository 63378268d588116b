/** The shard's in-memory session rows and listing pages: what reaches storage, and staleness. */
import { describe, expect, it } from 'vitest';
import type { SessionRecord } from '../session/view.ts';
import { CachedSessionRepo, type StoredSessions } from './session-cache.ts';
import type { ListFilter } from './session-repo.ts';

/** Storage as a Map that counts the reads that reach it. */
class CountingStore implements StoredSessions {
  readonly rows = new Map<string, SessionRecord>();
  reads = 0;
  pageReads = 0;
  insert(r: SessionRecord) {
    this.rows.set(r.id, structuredClone(r));
  }
  save(r: SessionRecord) {
    this.rows.set(r.id, structuredClone(r));
  }
  get(id: string) {
    this.reads++;
    const r = this.rows.get(id);
    return r && structuredClone(r);
  }
  peek(id: string) {
    return this.get(id);
  }
  delete(id: string) {
    this.rows.delete(id);
  }
  listIds(f: ListFilter) {
    this.pageReads++;
    return [...this.rows.values()]
      .filter((r) => r.id > f.afterId && (!f.deviceId || r.deviceId === f.deviceId))
      .map((r) => r.id)
      .sort()
      .slice(0, f.limit);
  }
  list(f: ListFilter) {
    return this.listIds(f).map((id) => this.rows.get(id) as SessionRecord);
  }
  openOnNode() {
    return [];
  }
  due() {
    return [];
  }
  nextDeadline() {
    return null;
  }
  activeCount() {
    return 0;
  }
  openForDevice() {
    return 0;
  }
}

function record(id: string, deviceId = 'd1'): SessionRecord {
  return {
    id,
    deviceId,
    room: 'r',
    echo: false,
    state: 'new',
    reason: null,
    nodeId: 'n',
    nodeRegion: 'local',
    nodeUrl: 'http://127.0.0.1:1',
    nodeDistanceKm: null,
    iceCandidates: 0,
    tracks: [],
    metadata: null,
    createdAt: 1,
    updatedAt: 1,
    expiresAt: 2,
    lastActivity: 1,
    lastSeq: 0,
  };
}

const page = (deviceId: string | undefined, limit = 10): ListFilter => ({
  deviceId,
  room: undefined,
  afterId: '',
  limit,
});

describe('CachedSessionRepo', () => {
  it('serves reads of written or loaded rows from memory', () => {
    const store = new CountingStore();
    store.insert(record('b'));
    const repo = new CachedSessionRepo(store);
    repo.insert(record('a'), 0);
    expect(repo.get('a')?.id).toBe('a');
    expect(repo.get('b')?.id).toBe('b');
    expect(repo.get('b')?.id).toBe('b');
    expect(repo.peek('b')?.id).toBe('b');
    expect(store.reads).toBe(1);
    expect(repo.get('missing')).toBeUndefined();
  });

  it('hands out copies from get, and a new stored object after each write', () => {
    const repo = new CachedSessionRepo(new CountingStore());
    repo.insert(record('a'), 0);
    const before = repo.peek('a');
    const copy = repo.get('a') as SessionRecord;
    copy.state = 'negotiating';
    expect(repo.peek('a')?.state).toBe('new');
    expect(repo.peek('a')).toBe(before);
    repo.save(copy, 0);
    expect(repo.peek('a')).not.toBe(before);
    expect(repo.peek('a')?.state).toBe('negotiating');
  });

  it("reads a device's page once until one of its sessions is created or deleted", () => {
    const store = new CountingStore();
    const repo = new CachedSessionRepo(store);
    repo.insert(record('a'), 0);
    repo.insert(record('x', 'd2'), 0);
    expect(repo.list(page('d1')).map((r) => r.id)).toEqual(['a']);
    expect(repo.list(page('d1')).map((r) => r.id)).toEqual(['a']);
    expect(store.pageReads).toBe(1);
    // Another device's create and a save of the device's own session keep the page.
    repo.insert(record('y', 'd2'), 0);
    repo.save({ ...record('a'), state: 'connected' }, 0);
    expect(repo.list(page('d1')).map((r) => [r.id, r.state])).toEqual([['a', 'connected']]);
    expect(store.pageReads).toBe(1);
    repo.insert(record('b'), 0);
    expect(repo.list(page('d1')).map((r) => r.id)).toEqual(['a', 'b']);
    repo.delete('a');
    expect(repo.list(page('d1')).map((r) => r.id)).toEqual(['b']);
    expect(store.pageReads).toBe(3);
    // An admin listing spans devices: read each time.
    repo.list(page(undefined));
    repo.list(page(undefined));
    expect(store.pageReads).toBe(5);
  });

  it('forgets rows and pages (a rolled-back transaction), then reads storage again', () => {
    const store = new CountingStore();
    const repo = new CachedSessionRepo(store);
    repo.insert(record('a'), 0);
    repo.list(page('d1'));
    // As if the insert of 'b' rolled back: cached, but not in storage.
    repo.insert(record('b'), 0);
    store.delete('b');
    repo.forget();
    expect(repo.get('b')).toBeUndefined();
    expect(repo.list(page('d1')).map((r) => r.id)).toEqual(['a']);
    expect(store.pageReads).toBe(2);
  });

  it('keeps at most its bound of rows, dropping the oldest', () => {
    const store = new CountingStore();
    const repo = new CachedSessionRepo(store, 2);
    for (const id of ['a', 'b', 'c']) repo.insert(record(id), 0);
    expect(repo.size).toBe(2);
    repo.get('c');
    expect(store.reads).toBe(0);
    repo.get('a');
    expect(store.reads).toBe(1);
  });
});
