/**
 * The loss-based controller (draft-ietf-rmcat-gcc-02 6): over each reporting window, more than
 * 10 % loss cuts the rate by half the loss fraction, less than 2 % raises it (8 % per second, as
 * libwebrtc does; the draft's 5 % per report), in between holds (random loss of a few percent is
 * not congestion).
 */

export interface LossBasedOptions {
  initialBps: number;
  minBps: number;
  maxBps: number;
}

const HIGH_LOSS = 0.1;
const LOW_LOSS = 0.02;
const INCREASE_PER_S = 1.08;

export class LossBasedControl {
  #bps: number;
  #lastMs = -1;
  #lastLoss = 0;
  readonly #o: LossBasedOptions;

  constructor(o: LossBasedOptions) {
    this.#o = o;
    this.#bps = o.initialBps;
  }

  get estimateBps(): number {
    return this.#bps;
  }

  /** The loss fraction of the last reporting window. */
  get lastLoss(): number {
    return this.#lastLoss;
  }

  /**
   * Applies the loss fraction (0..1) of one reporting window ending at `nowMs`. `ceilingBps` is
   * the other controller's estimate (delay-based, or the REMB): as in libwebrtc, loss acts on
   * the combined estimate, so this one starts from at most the ceiling and never rises above it.
   */
  update(lossFraction: number, nowMs: number, ceilingBps = this.#o.maxBps): number {
    const dtMs = this.#lastMs < 0 ? 0 : Math.min(nowMs - this.#lastMs, 2000);
    this.#lastMs = nowMs;
    this.#lastLoss = lossFraction;
    // The controller works on the combined estimate: never above what the other source allows.
    if (this.#bps > ceilingBps) this.#set(ceilingBps);
    if (lossFraction > HIGH_LOSS) {
      this.#set(this.#bps * (1 - 0.5 * lossFraction));
    } else if (lossFraction < LOW_LOSS && this.#bps < ceilingBps) {
      this.#set(Math.min(ceilingBps, this.#bps * INCREASE_PER_S ** (dtMs / 1000)));
    }
    return this.#bps;
  }

  #set(bps: number): void {
    this.#bps = Math.min(this.#o.maxBps, Math.max(this.#o.minBps, bps));
  }
}
