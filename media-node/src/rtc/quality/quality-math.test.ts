import { describe, expect, it } from 'vitest';
import {
  bitrateBps,
  combineStreams,
  compactNtp,
  intervalLoss,
  jitterMs,
  meanOf,
  rttFromReport,
} from './quality-math.ts';

describe('intervalLoss', () => {
  it('is the share of the expected packets that did not arrive in the interval', () => {
    expect(intervalLoss({ expected: 100, received: 100 }, { expected: 200, received: 190 })).toBe(
      0.1,
    );
    expect(intervalLoss({ expected: 100, received: 90 }, { expected: 200, received: 190 })).toBe(0);
  });

  it('is null without expected packets, and never negative with duplicates', () => {
    expect(intervalLoss({ expected: 50, received: 50 }, { expected: 50, received: 50 })).toBeNull();
    expect(intervalLoss({ expected: 0, received: 0 }, { expected: 10, received: 12 })).toBe(0);
  });
});

describe('rttFromReport', () => {
  const sentAt = Date.UTC(2026, 11, 7, 20, 0, 0, 250);

  it('recovers the round trip from LSR and DLSR (RFC 3550 6.4.1)', () => {
    const lsr = compactNtp(sentAt);
    // The receiver held the SR for 500 ms (DLSR) and the report arrived 540 ms after we sent.
    const dlsr = Math.round(0.5 * 65536);
    const rtt = rttFromReport(sentAt + 540, lsr, dlsr);
    expect(rtt).not.toBeNull();
    expect(rtt!).toBeGreaterThan(39);
    expect(rtt!).toBeLessThan(41);
  });

  it('is null for a report that names no SR, or an implausible one', () => {
    expect(rttFromReport(sentAt, 0, 0)).toBeNull();
    // An LSR from the future wraps to a huge value.
    expect(rttFromReport(sentAt, compactNtp(sentAt + 10_000), 0)).toBeNull();
  });

  it('wraps around the 16-bit seconds of compact NTP', () => {
    // 65536 s after an epoch boundary the seconds field wraps to 0.
    const boundary =
      (Math.ceil((sentAt / 1000 + 2_208_988_800) / 65536) * 65536 - 2_208_988_800) * 1000;
    const rtt = rttFromReport(boundary + 100, compactNtp(boundary - 100), 0);
    expect(rtt!).toBeCloseTo(200, 0);
  });
});

describe('jitterMs and bitrateBps', () => {
  it('converts RTP timestamp units at the clock rate', () => {
    expect(jitterMs(480, 48_000)).toBe(10);
    expect(jitterMs(90, 90_000)).toBe(1);
    expect(jitterMs(10, undefined)).toBeNull();
  });

  it('turns bytes over ms into bits per second', () => {
    expect(bitrateBps(1_000, 1_000)).toBe(8_000);
    expect(bitrateBps(62_500, 500)).toBe(1_000_000);
    expect(bitrateBps(100, 0)).toBe(0);
  });
});

describe('combineStreams', () => {
  it('sums rates, weights loss by packets and keeps the worst jitter', () => {
    const combined = combineStreams([
      { bitrateBps: 32_000, packets: 500, lossRatio: 0, jitterMs: 2, intervalPackets: 50 },
      { bitrateBps: 500_000, packets: 4_000, lossRatio: 0.1, jitterMs: 8, intervalPackets: 150 },
      { bitrateBps: 0, packets: 0, lossRatio: null, jitterMs: null, intervalPackets: 0 },
    ]);
    expect(combined).toEqual({
      bitrateBps: 532_000,
      packets: 4_500,
      lossRatio: (0 * 50 + 0.1 * 150) / 200,
      jitterMs: 8,
    });
  });

  it('has no loss or jitter figure when no stream has one', () => {
    expect(combineStreams([])).toEqual({
      bitrateBps: 0,
      packets: 0,
      lossRatio: null,
      jitterMs: null,
    });
    expect(meanOf([null, 10, 20])).toBe(15);
    expect(meanOf([null])).toBeNull();
  });
});
