import { describe, expect, it } from 'vitest';
import { earliest, nextDeadline, type ReapableSession, reapAction } from './reaper.ts';

const t = { idleTimeoutMs: 1_000, retentionMs: 5_000 };
const s = (over: Partial<ReapableSession>): ReapableSession => ({
  id: 'x',
  state: 'new',
  expiresAt: 100,
  lastActivity: 0,
  updatedAt: 0,
  ...over,
});

describe('reaper', () => {
  it('fails sessions that never connect at their connect deadline', () => {
    expect(reapAction(s({ state: 'new' }), 99, t)).toBeUndefined();
    expect(reapAction(s({ state: 'negotiating' }), 100, t)).toEqual({
      kind: 'fail',
      id: 'x',
      reason: 'connect_timeout',
    });
  });

  it('fails idle connected sessions and deletes old ended ones', () => {
    const connected = s({ state: 'connected', lastActivity: 500 });
    expect(reapAction(connected, 1_499, t)).toBeUndefined();
    expect(reapAction(connected, 1_500, t)).toEqual({ kind: 'fail', id: 'x', reason: 'idle' });
    expect(reapAction(s({ state: 'failed', updatedAt: 10 }), 5_010, t)).toEqual({
      kind: 'delete',
      id: 'x',
    });
    expect(reapAction(s({ state: 'closed', updatedAt: 10 }), 5_009, t)).toBeUndefined();
  });

  it('computes the next deadline per state and the earliest of several', () => {
    expect(nextDeadline(s({ state: 'negotiating' }), t)).toBe(100);
    expect(nextDeadline(s({ state: 'connected', lastActivity: 7 }), t)).toBe(1_007);
    expect(nextDeadline(s({ state: 'closed', updatedAt: 1 }), t)).toBe(5_001);
    expect(earliest(null, 5, undefined, 3)).toBe(3);
    expect(earliest(null)).toBeNull();
  });
});
