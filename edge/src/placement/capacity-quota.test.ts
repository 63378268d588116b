import { describe, expect, it } from 'vitest';
import { countedSince, freeSlots, localShare, poolSize, Reservations } from './capacity-quota.ts';

const node = (sessions: number, maxSessions: number) => ({
  load: { sessions, rooms: 0, maxSessions, eventLoopLagMs: 0 },
});

describe('capacity split', () => {
  it('gives each placer floor(free / placers) and leaves the remainder to the shared pool', () => {
    const n = node(100, 500);
    expect(freeSlots(n)).toBe(400);
    expect(localShare(n, 32)).toBe(12);
    expect(poolSize(n, 32)).toBe(16);
    // Shares and pool add up to the free slots: together the placers cannot overfill a node.
    for (const [sessions, max, placers] of [
      [0, 500, 32],
      [3, 10, 4],
      [9, 10, 32],
      [0, 7, 1],
    ] as const) {
      const m = node(sessions, max);
      expect(localShare(m, placers) * placers + poolSize(m, placers)).toBe(freeSlots(m));
    }
  });

  it('a node fuller than its maximum has nothing free', () => {
    expect(freeSlots(node(12, 10))).toBe(0);
    expect(localShare(node(12, 10), 4)).toBe(0);
    expect(poolSize(node(12, 10), 4)).toBe(0);
  });

  it('counts reservations from the last heartbeat, at most the pending timeout back', () => {
    expect(countedSince({ lastSeen: 1_000 }, 2_000, 2_000)).toBe(1_000);
    expect(countedSince({ lastSeen: 1_000 }, 5_000, 2_000)).toBe(3_000);
  });
});

describe('Reservations', () => {
  it('counts per node since a time and drops older ones', () => {
    const r = new Reservations();
    r.add('a', 1);
    r.add('a', 5);
    r.add('b', 5);
    expect(r.count('a', 0)).toBe(2);
    expect(r.count('a', 2)).toBe(1);
    expect(r.count('a', 0)).toBe(1); // the old one is gone
    r.forget('b');
    expect(r.count('b', 0)).toBe(0);
  });

  it('keeps counting right across many reservations, out-of-order times and compaction', () => {
    const r = new Reservations();
    for (let t = 0; t < 5_000; t++) r.add('a', t);
    r.add('a', 10); // late: counted as made at 10
    expect(r.count('a', 0)).toBe(5_001);
    expect(r.count('a', 11)).toBe(4_989);
    expect(r.count('a', 3_000)).toBe(2_000);
    r.add('a', 6_000);
    expect(r.count('a', 4_999)).toBe(2);
    expect(r.count('a', 6_001)).toBe(0);
    r.add('a', 7_000);
    expect(r.count('a', 0)).toBe(1);
  });
});
