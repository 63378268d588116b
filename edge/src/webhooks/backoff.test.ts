import { describe, expect, it } from 'vitest';
import { afterFailure, type BackoffPolicy, retryDelay } from './backoff.ts';

const policy: BackoffPolicy = { baseMs: 5_000, maxMs: 3_600_000, retryForMs: 90_000_000 };
const HOUR = 3_600_000;

describe('webhook backoff', () => {
  it('doubles from the base up to the max, jitter within [half, full] of the step', () => {
    const low = (n: number) => retryDelay(policy, n, () => 0);
    const high = (n: number) => retryDelay(policy, n, () => 1);
    expect([1, 2, 3, 4].map(high)).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect([1, 2, 3, 4].map(low)).toEqual([2_500, 5_000, 10_000, 20_000]);
    expect(high(10)).toBe(2_560_000);
    expect(high(11)).toBe(HOUR);
    expect(high(500)).toBe(HOUR);
    expect(low(500)).toBe(HOUR / 2);
  });

  it('keeps retrying for at least the retry window (a day and more), then gives up', () => {
    // The worst case for the window: every delay at its longest.
    let now = 0;
    let attempts = 0;
    const delivery = { createdAt: 0, attempts: 0 };
    for (;;) {
      const next = afterFailure(policy, { ...delivery, attempts }, now, () => 1);
      if (next.kind === 'give_up') break;
      attempts++;
      now = next.at;
    }
    expect(now).toBeGreaterThanOrEqual(24 * HOUR);
    expect(now).toBeLessThan(90_000_000 + HOUR);
    // About 35 attempts over 25 h: the first minutes dense, then hourly.
    expect(attempts).toBeGreaterThan(24);
    expect(attempts).toBeLessThan(40);
  });
});
