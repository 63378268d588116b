/**
 * The arithmetic of media quality stats (RFC 3550 6.4 and A.3), pure: interval loss from
 * expected/received counts, round trip from a receiver report's LSR/DLSR, jitter in ms, and the
 * sum of several streams.
 */
import type { StreamStats } from '../../../../shared/stats.ts';

/** Milliseconds from the NTP epoch (1900) to the Unix epoch (1970). */
const NTP_EPOCH_OFFSET_MS = 2_208_988_800_000;
/** Round trips above this are taken for a report about an SR we no longer mean (or garbage). */
const MAX_RTT_MS = 60_000;

/** Cumulative counts of one received stream (werift's `StreamStatistics`). */
export interface ReceiveCounts {
  expected: number;
  received: number;
}

/**
 * Share of packets lost between two samples of the same stream (RFC 3550 A.3: expected minus
 * received over the interval), 0..1; null when no packet was expected. Duplicates can make
 * received exceed expected: that is no loss, not negative loss.
 */
export function intervalLoss(prev: ReceiveCounts, now: ReceiveCounts): number | null {
  const expected = now.expected - prev.expected;
  if (expected <= 0) return null;
  const lost = expected - (now.received - prev.received);
  return lost <= 0 ? 0 : Math.min(1, lost / expected);
}

/** The middle 32 bits of the NTP time of `epochMs` (what LSR echoes), unsigned. */
export function compactNtp(epochMs: number): number {
  const ntpMs = epochMs + NTP_EPOCH_OFFSET_MS;
  const seconds = Math.floor(ntpMs / 1000);
  const fraction16 = Math.floor(((ntpMs - seconds * 1000) / 1000) * 65536);
  return (((seconds & 0xffff) << 16) | fraction16) >>> 0;
}

/**
 * Round trip in ms from a receiver report block received at `epochMs` (RFC 3550 6.4.1:
 * A - LSR - DLSR, in 1/65536 s, modulo 2^32); null when the report names no SR (LSR 0) or the
 * result is not plausible. Exact only if our SRs carried exact NTP times (the fast path's do).
 */
export function rttFromReport(epochMs: number, lsr: number, dlsr: number): number | null {
  if (lsr === 0) return null;
  const units = (compactNtp(epochMs) - lsr - dlsr) >>> 0;
  const ms = (units / 65536) * 1000;
  return ms <= MAX_RTT_MS ? ms : null;
}

/** RFC 3550 jitter (RTP timestamp units) in ms; null without a clock rate. */
export function jitterMs(jitterUnits: number, clockRate: number | undefined): number | null {
  if (!clockRate || !Number.isFinite(jitterUnits) || jitterUnits < 0) return null;
  return (jitterUnits / clockRate) * 1000;
}

/** Bits per second of `bytes` over `ms` (0 for an empty interval). */
export function bitrateBps(bytes: number, ms: number): number {
  return ms > 0 && bytes > 0 ? Math.round((bytes * 8 * 1000) / ms) : 0;
}

/** One stream's stats plus its packets in the interval (the weight of its loss). */
export interface WeightedStream extends StreamStats {
  intervalPackets: number;
}

/**
 * Several streams as one: bitrates and packets summed, loss weighted by each stream's packets
 * in the interval (null when none has a loss figure), jitter the worst.
 */
export function combineStreams(streams: readonly WeightedStream[]): StreamStats {
  let bitrate = 0;
  let packets = 0;
  let lossWeight = 0;
  let lossSum = 0;
  let anyLoss = false;
  let jitter: number | null = null;
  for (const s of streams) {
    bitrate += s.bitrateBps;
    packets += s.packets;
    if (s.lossRatio !== null) {
      anyLoss = true;
      const w = Math.max(1, s.intervalPackets);
      lossWeight += w;
      lossSum += s.lossRatio * w;
    }
    if (s.jitterMs !== null) jitter = Math.max(jitter ?? 0, s.jitterMs);
  }
  return {
    bitrateBps: bitrate,
    packets,
    lossRatio: anyLoss ? lossSum / lossWeight : null,
    jitterMs: jitter,
  };
}

/** The mean of the known values, null when none is. */
export function meanOf(values: ReadonlyArray<number | null>): number | null {
  let sum = 0;
  let n = 0;
  for (const v of values) {
    if (v === null) continue;
    sum += v;
    n++;
  }
  return n === 0 ? null : sum / n;
}
