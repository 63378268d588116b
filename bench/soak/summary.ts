/** The soak's samples and what they say about memory growth (pure, unit-tested). */
import { slope } from '../lib/stats.ts';

export interface SoakSample {
  /** Minutes since media started flowing (the interval's end). */
  minute: number;
  rssMb: number;
  heapUsedMb: number;
  externalMb: number;
  lossPct: number;
  forwardedPps: number;
  nodeCpu: number;
  lagP99Ms: number;
  starved: number;
  disconnected: number;
  /** With `--gc`: after two forced full GCs (inspector). */
  gcRssMb?: number;
  gcHeapUsedMb?: number;
  handles?: number;
}

/** What the samples say about growth; pure (unit-tested). */
export function soakSummary(
  samples: readonly SoakSample[],
  o: { settleMinutes: number; subscribers: number; rssIdleMb: number },
) {
  const late = samples.filter((s) => s.minute >= o.settleMinutes);
  const first = samples[0];
  const last = samples[samples.length - 1];
  const perSubKb = (s: SoakSample | undefined, rssMb = s?.rssMb) =>
    s && rssMb !== undefined ? ((rssMb - o.rssIdleMb) * 1024) / o.subscribers : Number.NaN;
  const round = (v: number, d = 3) => Math.round(v * 10 ** d) / 10 ** d;
  return {
    samples: samples.length,
    samplesInFit: late.length,
    rssSlopeMbPerMin: round(
      slope(
        late.map((s) => s.minute),
        late.map((s) => s.rssMb),
      ),
    ),
    heapSlopeMbPerMin: round(
      slope(
        late.map((s) => s.minute),
        late.map((s) => s.heapUsedMb),
      ),
    ),
    // RSS and heap are a sawtooth (GC, allocator returning pages): the lowest point of each
    // half of the fitted samples is a second, slope-free view of growth.
    ...(late.some((s) => s.gcRssMb !== undefined)
      ? {
          gcRssSlopeMbPerMin: round(
            slope(
              late.map((s) => s.minute),
              late.map((s) => s.gcRssMb ?? Number.NaN),
            ),
          ),
          gcHeapSlopeMbPerMin: round(
            slope(
              late.map((s) => s.minute),
              late.map((s) => s.gcHeapUsedMb ?? Number.NaN),
            ),
          ),
          gcRssPerSubKbStart: round(perSubKb(first, first?.gcRssMb), 0),
          gcRssPerSubKbEnd: round(perSubKb(last, last?.gcRssMb), 0),
          handlesStart: first?.handles ?? Number.NaN,
          handlesEnd: last?.handles ?? Number.NaN,
        }
      : {}),
    rssLowFirstHalfMb: round(
      low(half(late, 0), (s) => s.rssMb),
      1,
    ),
    rssLowSecondHalfMb: round(
      low(half(late, 1), (s) => s.rssMb),
      1,
    ),
    heapLowFirstHalfMb: round(
      low(half(late, 0), (s) => s.heapUsedMb),
      1,
    ),
    heapLowSecondHalfMb: round(
      low(half(late, 1), (s) => s.heapUsedMb),
      1,
    ),
    rssStartMb: round(first?.rssMb ?? Number.NaN, 1),
    rssEndMb: round(last?.rssMb ?? Number.NaN, 1),
    rssPerSubKbStart: round(perSubKb(first), 0),
    rssPerSubKbEnd: round(perSubKb(last), 0),
    lossPctMean: round(samples.reduce((a, s) => a + s.lossPct, 0) / (samples.length || 1)),
    lossPctMax: round(Math.max(...samples.map((s) => s.lossPct))),
  };
}

/** The first (`which` 0) or second half of `samples`; an odd middle sample goes to neither. */
function half<T>(samples: readonly T[], which: 0 | 1): readonly T[] {
  const n = Math.floor(samples.length / 2);
  return which === 0 ? samples.slice(0, n) : samples.slice(samples.length - n);
}

function low<T>(samples: readonly T[], value: (s: T) => number): number {
  return samples.length ? Math.min(...samples.map(value)) : Number.NaN;
}
