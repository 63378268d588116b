/**
 * Quality of one published track as the node receives it, sampled on the stats timer from
 * werift's receive statistics (werift-stats.ts): no work per packet beyond what werift does.
 */
import type { WeightedStream } from './quality-math.ts';
import { bitrateBps, intervalLoss, jitterMs } from './quality-math.ts';
import { receivedStream } from './werift-stats.ts';

export class InboundTrackStats {
  readonly #receiver: object;
  readonly #ssrc: () => number | undefined;
  #prev: { expected: number; received: number; bytes: number; at: number } | undefined;

  /** `ssrc`: the publisher's media SSRC (known once its first packet arrived). */
  constructor(receiver: object, ssrc: () => number | undefined) {
    this.#receiver = receiver;
    this.#ssrc = ssrc;
  }

  /** Stats over the time since the previous sample (`now`: ms, monotonic). */
  sample(now: number): WeightedStream {
    const ssrc = this.#ssrc();
    const s = ssrc === undefined ? undefined : receivedStream(this.#receiver, ssrc);
    if (!s)
      return { bitrateBps: 0, packets: 0, lossRatio: null, jitterMs: null, intervalPackets: 0 };
    const prev = this.#prev ?? { expected: 0, received: 0, bytes: 0, at: now };
    this.#prev = { expected: s.expected, received: s.received, bytes: s.bytes, at: now };
    return {
      bitrateBps: bitrateBps(s.bytes - prev.bytes, now - prev.at),
      packets: s.received,
      lossRatio: intervalLoss(prev, s),
      jitterMs: jitterMs(s.jitter, s.clockRate),
      intervalPackets: s.received - prev.received,
    };
  }
}
