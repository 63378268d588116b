import { describe, expect, it } from 'vitest';
import { BandwidthEstimator } from './estimator.ts';
import { between, simulateLink } from './link-sim.ts';

const MBIT = 1_000_000;
const max = (xs: number[]) => Math.max(...xs);
const min = (xs: number[]) => Math.min(...xs);

describe('BandwidthEstimator on transport-cc feedback (synthetic link)', () => {
  it('holds at least the source rate on a steady link with room to spare, never over-using', () => {
    const est = new BandwidthEstimator();
    const samples = simulateLink(est, {
      durationMs: 20_000,
      sourceMaxBps: 1.5 * MBIT,
      capacityBps: () => 5 * MBIT,
    });
    expect(est.overuses).toBe(0);
    // From 1 Mbit/s at 8 % per second: the source's 1.5 Mbit/s after ~5.5 s.
    expect(min(between(samples, 8_000, 20_000).map((s) => s.estimateBps))).toBeGreaterThanOrEqual(
      1.5 * MBIT,
    );
    expect(est.sourceAt(20_000)).toBe('twcc');
  });

  it('converges below a 400 kbit/s cap within a few seconds, uses it, and ramps up when lifted', () => {
    const est = new BandwidthEstimator();
    const cap = (t: number) => (t >= 10_000 && t < 25_000 ? 400_000 : 5 * MBIT);
    const samples = simulateLink(est, {
      durationMs: 45_000,
      sourceMaxBps: 1.5 * MBIT,
      capacityBps: cap,
    });
    // Before the cap: the full source rate.
    expect(min(between(samples, 8_000, 10_000).map((s) => s.estimateBps))).toBeGreaterThanOrEqual(
      1.5 * MBIT,
    );
    // Within 3 s of the cap the estimate is at or below it, probing it by a few percent at most
    // (the additive increase near the capacity seen at over-use), 400k on average.
    const capped = between(samples, 13_000, 25_000);
    expect(max(capped.map((s) => s.estimateBps))).toBeLessThan(450_000);
    const estimates = capped.map((s) => s.estimateBps);
    expect(estimates.reduce((a, b) => a + b, 0) / estimates.length).toBeLessThan(400_000);
    // ...without collapsing: the link stays mostly used.
    const used = capped.map((s) => s.receivedBps);
    expect(used.reduce((a, b) => a + b, 0) / used.length).toBeGreaterThan(250_000);
    // Lifted at 25 s: back above 1 Mbit/s within 15 s, and at the source rate by the end.
    const lifted = between(samples, 40_000, 45_001);
    expect(min(lifted.map((s) => s.estimateBps))).toBeGreaterThan(1 * MBIT);
    expect(est.overuses).toBeGreaterThan(0);
  });

  it('holds (does not back off) under a few percent of random loss, and rises under 1 %', () => {
    const holding = new BandwidthEstimator();
    const held = simulateLink(holding, {
      durationMs: 15_000,
      sourceMaxBps: 1.5 * MBIT,
      capacityBps: () => 5 * MBIT,
      lossRate: 0.05,
      seed: 7,
    });
    expect(holding.overuses).toBe(0);
    expect(min(held.map((s) => s.estimateBps))).toBeGreaterThanOrEqual(MBIT);
    const rising = new BandwidthEstimator();
    const rose = simulateLink(rising, {
      durationMs: 15_000,
      sourceMaxBps: 1.5 * MBIT,
      capacityBps: () => 5 * MBIT,
      lossRate: 0.01,
      seed: 7,
    });
    expect(min(between(rose, 10_000, 15_000).map((s) => s.estimateBps))).toBeGreaterThanOrEqual(
      1.5 * MBIT,
    );
  });

  it('backs off under heavy random loss (loss-based controller)', () => {
    const est = new BandwidthEstimator();
    const samples = simulateLink(est, {
      durationMs: 10_000,
      sourceMaxBps: 1.5 * MBIT,
      capacityBps: () => 5 * MBIT,
      lossRate: 0.25,
    });
    expect(max(between(samples, 6_000, 10_000).map((s) => s.estimateBps))).toBeLessThan(0.3 * MBIT);
    expect(est.lossFraction).toBeGreaterThan(0.15);
  });
});

describe('BandwidthEstimator fallbacks', () => {
  it('takes REMB when there is no transport-cc, capped by receiver-report loss', () => {
    const est = new BandwidthEstimator({ initialBps: 2 * MBIT });
    est.onRemb(600_000, 1_000);
    expect(est.sourceAt(1_000)).toBe('remb');
    expect(est.estimateAt(1_000)).toBe(600_000);
    for (let t = 2_000; t <= 6_000; t += 1_000) est.onReceiverReportLoss(0.3, t);
    expect(est.estimateAt(6_000)).toBeLessThan(300_000);
  });

  it('falls back to receiver-report loss alone when REMB stops', () => {
    const est = new BandwidthEstimator({ initialBps: 800_000 });
    est.onRemb(600_000, 0);
    expect(est.sourceAt(3_000)).toBe('remb');
    expect(est.sourceAt(3_001)).toBe('loss');
    expect(est.estimateAt(3_001)).toBe(800_000);
    est.onReceiverReportLoss(0.5, 4_000);
    expect(est.estimateAt(4_000)).toBe(600_000);
    // Clean reports raise it again, 8 % per second.
    for (let t = 5_000; t <= 14_000; t += 1_000) est.onReceiverReportLoss(0, t);
    expect(est.estimateAt(14_000)).toBeGreaterThan(1.1 * MBIT);
  });

  it('ignores receiver-report loss and REMB while transport-cc flows, and bounds inputs', () => {
    const est = new BandwidthEstimator({ initialBps: MBIT, minBps: 50_000 });
    est.onTransportFeedback([{ sendMs: 0, arrivalMs: 10, size: 1000 }], 100);
    est.onRemb(100_000, 100);
    est.onReceiverReportLoss(0.9, 100);
    expect(est.sourceAt(100)).toBe('twcc');
    expect(est.estimateAt(100)).toBe(MBIT);
    est.onRemb(-5, 2_000);
    est.onRemb(Number.NaN, 2_000);
    expect(est.sourceAt(3_101)).toBe('loss');
    est.onRemb(100_000, 2_000);
    expect(est.sourceAt(3_101)).toBe('remb');
    expect(est.estimateAt(3_101)).toBe(100_000);
  });
});
