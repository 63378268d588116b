/**
 * Over-use detection from one-way delay variation (draft-ietf-rmcat-gcc-02 5.3-5.4, as libwebrtc
 * does it in `TrendlineEstimator`): the accumulated delay variation between packet groups is
 * smoothed, a line is fitted over the last `WINDOW` points, and its slope (how fast the
 * bottleneck queue grows) is compared with an adaptive threshold. A growing queue is over-use;
 * a draining one under-use.
 */

export type BandwidthUsage = 'normal' | 'overusing' | 'underusing';

/** Points the slope is fitted over. */
const WINDOW = 20;
/** Exponential smoothing of the accumulated delay. */
const SMOOTHING = 0.9;
/** The slope is scaled by this and by the sample count (capped at `MAX_SAMPLES`). */
const THRESHOLD_GAIN = 4;
const MAX_SAMPLES = 60;
/** Over-use must last this long (ms of send time) before it is signalled. */
const OVERUSE_TIME_MS = 10;
/** The adaptive threshold (5.4): start, bounds, and its up / down gains per ms. */
const INITIAL_THRESHOLD = 12.5;
const MIN_THRESHOLD = 6;
const MAX_THRESHOLD = 600;
const K_UP = 0.0087;
const K_DOWN = 0.039;
/** A sample this far above the threshold is an outlier (e.g. a route change): not adapted to. */
const MAX_ADAPT_OFFSET = 15;
const MAX_ADAPT_STEP_MS = 100;

export class TrendlineDetector {
  #samples = 0;
  #firstArrivalMs = -1;
  #accumulated = 0;
  #smoothed = 0;
  readonly #xs: number[] = [];
  readonly #ys: number[] = [];
  #trend = 0;
  #prevTrend = 0;
  #threshold = INITIAL_THRESHOLD;
  #lastAdaptMs = -1;
  #overuseMs = -1;
  #overuseCount = 0;
  #state: BandwidthUsage = 'normal';

  get state(): BandwidthUsage {
    return this.#state;
  }

  /** The current adaptive threshold (for tests and diagnostics). */
  get threshold(): number {
    return this.#threshold;
  }

  /** Adds one group delta; returns the usage state after it. */
  update(sendDeltaMs: number, arrivalDeltaMs: number, arrivalMs: number): BandwidthUsage {
    this.#samples = Math.min(this.#samples + 1, 1000);
    this.#accumulated += arrivalDeltaMs - sendDeltaMs;
    this.#smoothed = SMOOTHING * this.#smoothed + (1 - SMOOTHING) * this.#accumulated;
    if (this.#firstArrivalMs < 0) this.#firstArrivalMs = arrivalMs;
    this.#xs.push(arrivalMs - this.#firstArrivalMs);
    this.#ys.push(this.#smoothed);
    if (this.#xs.length > WINDOW) {
      this.#xs.shift();
      this.#ys.shift();
    }
    if (this.#xs.length === WINDOW) this.#trend = slope(this.#xs, this.#ys) ?? this.#trend;
    this.#detect(sendDeltaMs, arrivalMs);
    return this.#state;
  }

  #detect(sendDeltaMs: number, nowMs: number): void {
    if (this.#samples < 2) return;
    const trend = this.#trend;
    const modified = Math.min(this.#samples, MAX_SAMPLES) * trend * THRESHOLD_GAIN;
    if (modified > this.#threshold) {
      this.#overuseMs = this.#overuseMs < 0 ? sendDeltaMs / 2 : this.#overuseMs + sendDeltaMs;
      this.#overuseCount++;
      if (this.#overuseMs > OVERUSE_TIME_MS && this.#overuseCount > 1 && trend >= this.#prevTrend) {
        this.#overuseMs = 0;
        this.#overuseCount = 0;
        this.#state = 'overusing';
      }
    } else {
      this.#overuseMs = -1;
      this.#overuseCount = 0;
      this.#state = modified < -this.#threshold ? 'underusing' : 'normal';
    }
    this.#prevTrend = trend;
    this.#adapt(modified, nowMs);
  }

  /** 5.4: the threshold follows |modified| slowly upwards and faster downwards. */
  #adapt(modified: number, nowMs: number): void {
    if (this.#lastAdaptMs < 0) this.#lastAdaptMs = nowMs;
    const m = Math.abs(modified);
    if (m > this.#threshold + MAX_ADAPT_OFFSET) {
      this.#lastAdaptMs = nowMs;
      return;
    }
    const k = m < this.#threshold ? K_DOWN : K_UP;
    const dt = Math.min(nowMs - this.#lastAdaptMs, MAX_ADAPT_STEP_MS);
    this.#threshold += k * (m - this.#threshold) * dt;
    this.#threshold = Math.min(MAX_THRESHOLD, Math.max(MIN_THRESHOLD, this.#threshold));
    this.#lastAdaptMs = nowMs;
  }
}

/** Least-squares slope of y over x; undefined when x does not vary. */
export function slope(xs: readonly number[], ys: readonly number[]): number | undefined {
  const n = xs.length;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += xs[i]!;
    sy += ys[i]!;
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    num += dx * (ys[i]! - my);
    den += dx * dx;
  }
  return den === 0 ? undefined : num / den;
}
