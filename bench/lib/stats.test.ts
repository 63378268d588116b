import { describe, expect, it } from 'vitest';
import { quantile, ratio, slope, summarize } from './stats.ts';

describe('benchmark stats', () => {
  it('uses nearest-rank quantiles', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(sorted, 0.5)).toBe(50);
    expect(quantile(sorted, 0.99)).toBe(99);
    expect(quantile(sorted, 1)).toBe(100);
    expect(quantile([7], 0.99)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('summarizes unsorted samples', () => {
    expect(summarize([3, 1, 2])).toEqual({
      count: 3,
      min: 1,
      mean: 2,
      p50: 2,
      p95: 3,
      p99: 3,
      max: 3,
    });
  });

  it('computes ratios that survive zero and NaN baselines', () => {
    expect(ratio(300, 100)).toBe(3);
    expect(ratio(1, 0)).toBeNaN();
  });

  it('fits a least-squares slope', () => {
    expect(slope([0, 1, 2, 3], [10, 12, 14, 16])).toBeCloseTo(2);
    // Noise around a flat line: slope near zero, sign of the residue only.
    expect(slope([2, 2.5, 3, 3.5, 4], [100, 101, 99, 101, 99])).toBeCloseTo(-0.4);
    expect(slope([5], [1])).toBeNaN();
    expect(slope([3, 3], [1, 2])).toBeNaN();
  });
});
