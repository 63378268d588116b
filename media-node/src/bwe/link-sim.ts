/**
 * A synthetic bottleneck for the estimator's tests (not used by the node): a sender of video
 * frames at the rate the estimator allows, a drop-tail bottleneck of time-varying capacity with
 * random loss, and transport-cc feedback every `feedbackMs`. Deterministic (seeded).
 */
import type { BandwidthEstimator, PacketResult } from './estimator.ts';

export interface LinkSimOptions {
  durationMs: number;
  /** The most the source can send (its top layer), bit/s. */
  sourceMaxBps: number;
  /** Bottleneck capacity at time t (bit/s). */
  capacityBps(tMs: number): number;
  /** Random loss after the bottleneck (0..1). */
  lossRate?: number;
  /** One-way propagation delay (ms), both ways. */
  baseDelayMs?: number;
  /** Queueing delay above which the bottleneck drops (ms). */
  queueLimitMs?: number;
  feedbackMs?: number;
  frameMs?: number;
  packetBytes?: number;
  seed?: number;
}

export interface LinkSample {
  tMs: number;
  estimateBps: number;
  /** What reached the receiver over the last second (bit/s). */
  receivedBps: number;
}

interface InFlight {
  sendMs: number;
  arrivalMs: number | undefined;
  size: number;
}

/** Mulberry32: a small seeded PRNG. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs the trace; returns one sample per 100 ms. */
export function simulateLink(est: BandwidthEstimator, o: LinkSimOptions): LinkSample[] {
  const rand = seeded(o.seed ?? 1);
  const baseDelay = o.baseDelayMs ?? 20;
  const queueLimit = o.queueLimitMs ?? 250;
  const feedbackMs = o.feedbackMs ?? 50;
  const frameMs = o.frameMs ?? 33;
  const packetBytes = o.packetBytes ?? 1200;
  const sent: InFlight[] = [];
  let reported = 0;
  let linkFreeAt = 0;
  const pendingFeedback: Array<{ atMs: number; packets: PacketResult[] }> = [];
  const samples: LinkSample[] = [];
  const received: Array<{ atMs: number; bits: number }> = [];
  for (let t = 0; t <= o.durationMs; t++) {
    if (t % frameMs === 0) {
      const rate = Math.min(est.estimateAt(t), o.sourceMaxBps);
      let bytes = (rate * frameMs) / 8000;
      while (bytes > 0) {
        const size = Math.min(packetBytes, Math.max(100, bytes));
        bytes -= size;
        const start = Math.max(t, linkFreeAt);
        const done = start + (size * 8 * 1000) / o.capacityBps(t);
        let arrivalMs: number | undefined;
        if (done - t <= queueLimit) {
          linkFreeAt = done;
          if (rand() >= (o.lossRate ?? 0)) arrivalMs = done + baseDelay;
        }
        sent.push({ sendMs: t, arrivalMs, size });
        if (arrivalMs !== undefined) received.push({ atMs: arrivalMs, bits: size * 8 });
      }
    }
    if (t % feedbackMs === 0) {
      // The receiver reports everything up to the newest packet that has arrived.
      let newest = -1;
      for (let i = reported; i < sent.length; i++) {
        const a = sent[i]!.arrivalMs;
        if (a !== undefined && a <= t) newest = i;
      }
      if (newest >= reported) {
        const packets = sent.slice(reported, newest + 1).map((p) => ({
          sendMs: p.sendMs,
          arrivalMs: p.arrivalMs !== undefined && p.arrivalMs <= t ? p.arrivalMs : undefined,
          size: p.size,
        }));
        reported = newest + 1;
        pendingFeedback.push({ atMs: t + baseDelay, packets });
      }
    }
    while (pendingFeedback.length > 0 && pendingFeedback[0]!.atMs <= t) {
      est.onTransportFeedback(pendingFeedback.shift()!.packets, t);
    }
    if (t % 100 === 0) {
      let bits = 0;
      for (const r of received) if (r.atMs > t - 1000 && r.atMs <= t) bits += r.bits;
      samples.push({ tMs: t, estimateBps: est.estimateAt(t), receivedBps: bits });
    }
  }
  return samples;
}

/** The samples with `fromMs <= tMs < toMs`. */
export function between(
  samples: readonly LinkSample[],
  fromMs: number,
  toMs: number,
): LinkSample[] {
  return samples.filter((s) => s.tMs >= fromMs && s.tMs < toMs);
}
