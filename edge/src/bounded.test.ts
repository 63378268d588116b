import { describe, expect, it } from 'vitest';
import { mapBounded, withTimeout } from './bounded.ts';

describe('bounded helpers', () => {
  it('keeps at most `concurrency` calls in flight and the input order', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapBounded([5, 1, 4, 2, 3], 2, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, n));
      inFlight--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });

  it('gives the fallback when the promise is too slow', async () => {
    expect(await withTimeout(new Promise(() => {}), 10, 'late')).toBe('late');
    expect(await withTimeout(Promise.resolve('now'), 10, 'late')).toBe('now');
  });
});
