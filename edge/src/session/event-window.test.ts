import { describe, expect, it } from 'vitest';
import {
  acknowledge,
  admitFrame,
  checkStall,
  openCursor,
  resumeGap,
  sendRange,
  socketsToEvict,
  stallDeadline,
} from './event-window.ts';

const limits = { limit: 256, graceMs: 1_000 };

describe('event send window', () => {
  it('sends only up to acked + limit, then more after acks', () => {
    const cursor = openCursor('s', 0, 300, 7);
    expect(sendRange(cursor, 300, 256)).toEqual({ from: 1, to: 256 });
    const sent = { ...cursor, sent: 256 };
    expect(sendRange(sent, 300, 256)).toBeNull();
    expect(sendRange(acknowledge(sent, 100), 300, 256)).toEqual({ from: 257, to: 300 });
  });

  it('resumes after `since`, clamped to what exists', () => {
    expect(openCursor('s', 5, 9, 7)).toEqual({
      sessionId: 's',
      acked: 5,
      sent: 5,
      stalledSince: null,
      openedAt: 7,
    });
    expect(openCursor('s', 50, 9, 7).sent).toBe(9);
    expect(sendRange(openCursor('s', 5, 9, 7), 9, 256)).toEqual({ from: 6, to: 9 });
  });

  it('never trusts acks beyond what was sent or going backwards', () => {
    const cursor = { sessionId: 's', acked: 10, sent: 20, stalledSince: null, openedAt: 0 };
    expect(acknowledge(cursor, 99).acked).toBe(20);
    expect(acknowledge(cursor, 3).acked).toBe(10);
  });

  it('marks a consumer more than limit behind as stalled, and closes it after the grace', () => {
    const cursor = { sessionId: 's', acked: 0, sent: 256, stalledSince: null, openedAt: 0 };
    expect(checkStall(cursor, 256, 0, limits).verdict).toBe('ok');
    const stalled = checkStall(cursor, 257, 1_000, limits);
    expect(stalled).toEqual({ cursor: { ...cursor, stalledSince: 1_000 }, verdict: 'stalled' });
    expect(stallDeadline(stalled.cursor, 1_000)).toBe(2_001);
    expect(checkStall(stalled.cursor, 300, 2_000, limits).verdict).toBe('stalled');
    expect(checkStall(stalled.cursor, 300, 2_001, limits).verdict).toBe('close');
    const caughtUp = checkStall(acknowledge(stalled.cursor, 200), 300, 2_500, limits);
    expect(caughtUp).toMatchObject({ verdict: 'ok', cursor: { stalledSince: null } });
  });

  it('sees a resume gap only when events after `since` were already deleted', () => {
    expect(resumeGap(0, 1_024, 1_024)).toBe(false); // every event is still kept
    expect(resumeGap(0, 1_025, 1_024)).toBe(true); // seq 1 is gone
    expect(resumeGap(1, 1_025, 1_024)).toBe(false);
  });

  it('closes the oldest sockets so that a new one fits under the cap', () => {
    const open = [
      { socket: 'b', openedAt: 20 },
      { socket: 'a', openedAt: 10 },
      { socket: 'c', openedAt: 30 },
    ];
    expect(socketsToEvict(open, 4)).toEqual([]);
    expect(socketsToEvict(open, 3)).toEqual(['a']);
    expect(socketsToEvict(open, 2)).toEqual(['a', 'b']);
  });

  it('admits frames up to the limit per window, then refuses until the next window', () => {
    const state = { windowStart: 0, frames: 0 };
    for (let i = 0; i < 5; i++) expect(admitFrame(state, 100, 5, 1_000)).toBe(true);
    expect(admitFrame(state, 999, 5, 1_000)).toBe(false);
    expect(admitFrame(state, 1_000, 5, 1_000)).toBe(true);
  });
});
