import { afterEach, describe, expect, it } from 'vitest';
import { LoadGuard, SATURATED_UTILIZATION, SHED_AFTER_WINDOWS } from './load-guard.ts';

const sample = (utilization: number, lagP99Ms = 10) => ({ utilization, lagP99Ms, cpu: 0.5 });

describe('LoadGuard', () => {
  const guards: LoadGuard[] = [];
  const guard = (lagMs: number, utilization: number, sessions = () => 0) => {
    const g = new LoadGuard({ lagMs, utilization }, sessions);
    guards.push(g);
    return g;
  };
  afterEach(() => {
    for (const g of guards.splice(0)) g.close();
  });

  it('refuses above the utilization or the lag limit, each of which 0 turns off', () => {
    const g = guard(400, 0.85);
    g.record(sample(0.8, 100));
    expect(g.overloaded).toBe(false);
    g.record(sample(0.9, 100));
    expect(g.overloaded).toBe(true);
    g.record(sample(0.5, 401));
    expect(g.overloaded).toBe(true);

    const off = guard(0, 0);
    off.record(sample(1, 5_000));
    expect(off.overloaded).toBe(false);
  });

  it('counts the sessions admitted since the window, so that a burst of joins cannot pass on a stale figure', () => {
    let sessions = 40;
    const g = guard(400, 0.85, () => sessions);
    g.record(sample(0.8));
    expect(g.overloaded).toBe(false);
    // 40 sessions made 0.8: two more make ~0.84, three more ~0.86.
    for (let i = 0; i < 2; i++) g.admitted();
    expect(g.overloaded).toBe(false);
    g.admitted();
    expect(g.expectedUtilization).toBeCloseTo(0.86, 2);
    expect(g.overloaded).toBe(true);
    // The next window measures them: the count starts again.
    sessions = 43;
    g.record(sample(0.8));
    expect(g.overloaded).toBe(false);
    // Few sessions: the window's figure is mostly fixed costs, taken as is.
    sessions = 2;
    g.record(sample(0.5));
    for (let i = 0; i < 5; i++) g.admitted();
    expect(g.expectedUtilization).toBe(0.5);
  });

  it(`is saturated after ${SHED_AFTER_WINDOWS} saturated windows in a row, not after a burst`, () => {
    const g = guard(400, 0.85);
    const windows: boolean[] = [];
    g.onWindow = () => windows.push(g.saturated);
    for (const u of [1, 1, 0.5, 1, 1, SATURATED_UTILIZATION]) g.record(sample(u));
    expect(windows).toEqual([false, false, false, false, false, true]);
    // After a shed, fresh evidence: SHED_AFTER_WINDOWS - 1 more saturated windows.
    g.shed();
    expect(g.saturated).toBe(false);
    g.record(sample(1));
    expect(g.saturated).toBe(SHED_AFTER_WINDOWS <= 2);
    g.record(sample(1));
    expect(g.saturated).toBe(true);
  });

  it('measures real windows: utilization, lag and CPU of this thread', async () => {
    const g = guard(400, 0.85);
    const seen = new Promise<void>((resolve) => {
      g.onWindow = resolve;
    });
    // Busy in 200 ms slices: late timers (lag), a busy loop (utilization) and CPU time.
    for (let i = 0; i < 3; i++) {
      const end = Date.now() + 200;
      while (Date.now() < end) {
        // busy
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    await seen;
    expect(g.last.utilization).toBeGreaterThan(0.4);
    expect(g.last.cpu).toBeGreaterThan(0.4);
    expect(g.last.lagP99Ms).toBeGreaterThan(100);
  });
});
