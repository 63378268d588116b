import { describe, expect, it } from 'vitest';
import { type SoakSample, soakSummary } from './summary.ts';

const sample = (minute: number, rssMb: number, heapUsedMb: number, lossPct = 0): SoakSample => ({
  minute,
  rssMb,
  heapUsedMb,
  externalMb: 12,
  lossPct,
  forwardedPps: 40_000,
  nodeCpu: 0.3,
  lagP99Ms: 20,
  starved: 0,
  disconnected: 0,
});

describe('soak summary', () => {
  it('fits growth only after the settling time and reports RSS per subscriber', () => {
    // Start-up: +20 MB in the first 2 minutes; then 0.5 MB/min RSS, flat heap.
    const samples = [
      sample(0.5, 300, 40),
      sample(1, 310, 41),
      sample(1.5, 320, 39),
      sample(2, 320, 40),
      sample(3, 320.5, 42),
      sample(4, 321, 38, 0.2),
      sample(5, 321.5, 40),
    ];
    const s = soakSummary(samples, { settleMinutes: 2, subscribers: 100, rssIdleMb: 200 });
    expect(s.samplesInFit).toBe(4);
    expect(s.rssSlopeMbPerMin).toBeCloseTo(0.5);
    expect(s.heapSlopeMbPerMin).toBeCloseTo(-0.4);
    expect(s.rssPerSubKbStart).toBe(1024); // (300 - 200) MB / 100 subscribers
    expect(s.rssPerSubKbEnd).toBe(1244);
    expect(s.lossPctMax).toBeCloseTo(0.2);
    // Fitted samples: minutes 2, 3 | 4, 5.
    expect(s.rssLowFirstHalfMb).toBe(320);
    expect(s.rssLowSecondHalfMb).toBe(321);
    expect(s.heapLowFirstHalfMb).toBe(40);
    expect(s.heapLowSecondHalfMb).toBe(38);
  });

  it('reports no slope without enough samples', () => {
    const s = soakSummary([sample(0.5, 300, 40)], {
      settleMinutes: 2,
      subscribers: 10,
      rssIdleMb: 200,
    });
    expect(s.rssSlopeMbPerMin).toBeNaN();
  });

  it('fits the after-GC samples too when the soak forced GCs', () => {
    const gc = (minute: number, rss: number, heap: number, handles: number) => ({
      ...sample(minute, rss + 50, heap + 30),
      gcRssMb: rss,
      gcHeapUsedMb: heap,
      handles,
    });
    const s = soakSummary([gc(1, 250, 30, 120), gc(2, 250, 30, 120), gc(3, 251, 30.2, 120)], {
      settleMinutes: 2,
      subscribers: 100,
      rssIdleMb: 150,
    });
    expect(s.gcRssSlopeMbPerMin).toBeCloseTo(1);
    expect(s.gcHeapSlopeMbPerMin).toBeCloseTo(0.2);
    expect(s.gcRssPerSubKbStart).toBe(1024);
    expect(s.handlesEnd).toBe(120);
  });
});
