/**
 * The delay-based rate controller (draft-ietf-rmcat-gcc-02 5.5, libwebrtc's `AimdRateControl`):
 * a state machine driven by the over-use detector. Normal -> increase (multiplicative far from the
 * link capacity seen at earlier over-uses, additive near it); over-use -> decrease to `BETA` x
 * the throughput the receiver acknowledged; under-use -> hold while the queue drains.
 */
import type { BandwidthUsage } from './trendline.ts';

export interface AimdOptions {
  initialBps: number;
  minBps: number;
  maxBps: number;
}

type RateState = 'hold' | 'increase' | 'decrease';

/** Decrease to this fraction of the acknowledged rate. */
const BETA = 0.85;
/** Multiplicative increase per second (GCC: 8 %). */
const INCREASE_PER_S = 1.08;
/** Additive increase near the capacity: about one 1200-byte packet per response time (~200 ms). */
const ADDITIVE_BPS_PER_S = (1200 * 8) / 0.2;
/** At most one decrease per this many ms (roughly one round trip: let the queue drain). */
const MIN_DECREASE_INTERVAL_MS = 200;
/**
 * Without probing (padding), the sender is often application-limited: the estimate may grow to
 * this multiple of the acknowledged rate plus `HEADROOM_BPS`, enough for the allocator to try
 * the next simulcast layer, which is then the probe. With no acknowledged rate yet, no cap.
 */
const HEADROOM_FACTOR = 3;
const HEADROOM_BPS = 100_000;

/** libwebrtc's `LinkCapacityEstimator`: the acked rate at over-use, averaged, with a spread. */
class LinkCapacity {
  #kbps: number | undefined;
  #deviation = 0.4;

  onOveruse(ackedBps: number): void {
    const sample = ackedBps / 1000;
    const alpha = 0.05;
    this.#kbps = this.#kbps === undefined ? sample : (1 - alpha) * this.#kbps + alpha * sample;
    const norm = Math.max(this.#kbps, 1);
    const error = this.#kbps - sample;
    this.#deviation = (1 - alpha) * this.#deviation + (alpha * error * error) / norm;
    this.#deviation = Math.min(2.5, Math.max(0.4, this.#deviation));
  }

  /** Upper bound (bps) of where the capacity was seen, undefined before any over-use. */
  upperBps(): number | undefined {
    const e = this.#kbps;
    return e === undefined ? undefined : (e + 3 * Math.sqrt(this.#deviation * e)) * 1000;
  }

  known(): boolean {
    return this.#kbps !== undefined;
  }

  reset(): void {
    this.#kbps = undefined;
  }
}

export class AimdRateControl {
  #bps: number;
  #state: RateState = 'increase';
  #lastUpdateMs = -1;
  #lastDecreaseMs = Number.NEGATIVE_INFINITY;
  readonly #capacity = new LinkCapacity();
  readonly #o: AimdOptions;

  constructor(o: AimdOptions) {
    this.#o = o;
    this.#bps = o.initialBps;
  }

  get estimateBps(): number {
    return this.#bps;
  }

  /** Applies the detector's signal at `nowMs`; `ackedBps` is the receiver's measured rate. */
  update(usage: BandwidthUsage, ackedBps: number | undefined, nowMs: number): number {
    const dtMs = this.#lastUpdateMs < 0 ? 0 : Math.min(nowMs - this.#lastUpdateMs, 1000);
    this.#lastUpdateMs = nowMs;
    if (usage === 'overusing') this.#state = 'decrease';
    else if (usage === 'underusing') this.#state = 'hold';
    else if (this.#state === 'hold') this.#state = 'increase';
    if (this.#state === 'increase') this.#increase(dtMs, ackedBps);
    else if (this.#state === 'decrease') this.#decrease(ackedBps, nowMs);
    return this.#bps;
  }

  #increase(dtMs: number, ackedBps: number | undefined): void {
    const upper = this.#capacity.upperBps();
    if (upper !== undefined && this.#bps > upper) this.#capacity.reset();
    const next = this.#capacity.known()
      ? this.#bps + (ADDITIVE_BPS_PER_S * dtMs) / 1000
      : this.#bps * INCREASE_PER_S ** (dtMs / 1000);
    const cap =
      ackedBps === undefined
        ? Number.POSITIVE_INFINITY
        : Math.max(this.#bps, ackedBps * HEADROOM_FACTOR + HEADROOM_BPS);
    this.#set(Math.min(next, cap));
  }

  #decrease(ackedBps: number | undefined, nowMs: number): void {
    if (nowMs - this.#lastDecreaseMs >= MIN_DECREASE_INTERVAL_MS) {
      const target = ackedBps === undefined ? this.#bps * BETA : ackedBps * BETA;
      this.#set(Math.min(this.#bps, target));
      if (ackedBps !== undefined) this.#capacity.onOveruse(ackedBps);
      this.#lastDecreaseMs = nowMs;
    }
    // One decrease per over-use signal; the detector signals again if the queue keeps growing.
    this.#state = 'hold';
  }

  #set(bps: number): void {
    this.#bps = Math.min(this.#o.maxBps, Math.max(this.#o.minBps, bps));
  }
}
