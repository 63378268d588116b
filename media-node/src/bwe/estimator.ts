/**
 * One subscriber's bandwidth estimate (GCC-like, draft-ietf-rmcat-gcc-02 with the send-side
 * shape libwebrtc uses): transport-cc feedback drives a delay-based controller (packet groups ->
 * trendline over-use detector -> AIMD) and a loss-based one; the estimate is the smaller. Where
 * the subscriber offered no transport-cc, its REMB (receiver-side estimate) is taken, capped by
 * the loss-based controller fed from receiver-report loss; with neither, receiver-report loss
 * alone. Pure: every input carries its time, so tests replay synthetic traces.
 */
import { AimdRateControl } from './aimd.ts';
import { InterArrival } from './inter-arrival.ts';
import { LossBasedControl } from './loss-based.ts';
import { TrendlineDetector } from './trendline.ts';

/** What the estimate is based on (the session view's `bandwidth.source`). */
export type BandwidthSource = 'twcc' | 'remb' | 'loss';

export interface EstimatorOptions {
  /** Where the estimate starts (bit/s) before any feedback. */
  initialBps: number;
  /** Bounds of the estimate (bit/s). */
  minBps: number;
  maxBps: number;
}

export const DEFAULT_ESTIMATOR_OPTIONS: EstimatorOptions = {
  initialBps: 1_000_000,
  minBps: 30_000,
  maxBps: 20_000_000,
};

/** One sent packet as the receiver's transport-cc feedback reports it. */
export interface PacketResult {
  /** When we sent it (our clock, ms). */
  sendMs: number;
  /** When it arrived (the receiver's clock, ms), undefined when reported lost. */
  arrivalMs: number | undefined;
  /** Bytes on the wire (RTP, before SRTP), for the acknowledged rate. */
  size: number;
}

/** A feedback source is current for this long after its last report. */
const SOURCE_TIMEOUT_MS = 3_000;
/** Loss is judged over windows of this much time. */
const LOSS_WINDOW_MS = 500;
/** Acknowledged rate: received bytes over this much arrival time. */
const ACKED_WINDOW_MS = 500;
const ACKED_MIN_SPAN_MS = 250;

/** The receive rate the feedback acknowledges, over a sliding window of arrival times. */
class AckedRate {
  readonly #arrivals: number[] = [];
  readonly #bytes: number[] = [];
  #sum = 0;

  add(arrivalMs: number, bytes: number): void {
    this.#arrivals.push(arrivalMs);
    this.#bytes.push(bytes);
    this.#sum += bytes;
    while (this.#arrivals.length > 1 && arrivalMs - this.#arrivals[0]! > ACKED_WINDOW_MS) {
      this.#arrivals.shift();
      this.#sum -= this.#bytes.shift()!;
    }
  }

  /** bit/s, undefined until the window spans `ACKED_MIN_SPAN_MS`. */
  bps(): number | undefined {
    const n = this.#arrivals.length;
    if (n < 2) return undefined;
    const span = this.#arrivals[n - 1]! - this.#arrivals[0]!;
    if (span < ACKED_MIN_SPAN_MS) return undefined;
    // The first packet's bytes arrived before the window opened.
    return ((this.#sum - this.#bytes[0]!) * 8 * 1000) / span;
  }
}

export class BandwidthEstimator {
  readonly #o: EstimatorOptions;
  readonly #groups = new InterArrival();
  readonly #trend = new TrendlineDetector();
  readonly #aimd: AimdRateControl;
  readonly #loss: LossBasedControl;
  readonly #acked = new AckedRate();
  #window = { startMs: -1, received: 0, lost: 0 };
  #lastTwccMs = Number.NEGATIVE_INFINITY;
  #lastRembMs = Number.NEGATIVE_INFINITY;
  #rembBps = 0;
  /** Delay-based over-use signals so far (diagnostics). */
  overuses = 0;

  constructor(o: Partial<EstimatorOptions> = {}) {
    this.#o = { ...DEFAULT_ESTIMATOR_OPTIONS, ...o };
    this.#aimd = new AimdRateControl(this.#o);
    this.#loss = new LossBasedControl(this.#o);
  }

  /** Applies one transport-cc feedback: its packets in transport sequence (= send) order. */
  onTransportFeedback(packets: readonly PacketResult[], nowMs: number): void {
    if (packets.length === 0) return;
    this.#lastTwccMs = nowMs;
    const w = this.#window;
    if (w.startMs < 0) w.startMs = nowMs;
    for (const p of packets) {
      if (p.arrivalMs === undefined) {
        w.lost++;
        continue;
      }
      w.received++;
      this.#acked.add(p.arrivalMs, p.size);
      const delta = this.#groups.add(p.sendMs, p.arrivalMs);
      if (!delta) continue;
      const usage = this.#trend.update(delta.sendDeltaMs, delta.arrivalDeltaMs, delta.arrivalMs);
      if (usage === 'overusing') this.overuses++;
      this.#aimd.update(usage, this.#acked.bps(), nowMs);
    }
    if (nowMs - w.startMs >= LOSS_WINDOW_MS) {
      const total = w.received + w.lost;
      if (total > 0) this.#loss.update(w.lost / total, nowMs, this.#aimd.estimateBps);
      this.#window = { startMs: nowMs, received: 0, lost: 0 };
    }
  }

  /** A REMB (receiver-side estimate, bit/s) from the subscriber. */
  onRemb(bps: number, nowMs: number): void {
    if (!(bps > 0)) return;
    this.#rembBps = bps;
    this.#lastRembMs = nowMs;
  }

  /**
   * A receiver report's fraction lost (0..1) for what we send. Ignored while transport-cc
   * feedback flows (it reports every packet's fate already).
   */
  onReceiverReportLoss(fraction: number, nowMs: number): void {
    const source = this.sourceAt(nowMs);
    if (source === 'twcc') return;
    const ceiling = source === 'remb' ? this.#rembBps : this.#o.maxBps;
    this.#loss.update(Math.min(1, Math.max(0, fraction)), nowMs, ceiling);
  }

  /** What the estimate is based on now. */
  get source(): BandwidthSource {
    return this.sourceAt(Math.max(this.#lastTwccMs, this.#lastRembMs));
  }

  /** The source as of `nowMs` (a source that stopped reporting times out). */
  sourceAt(nowMs: number): BandwidthSource {
    if (nowMs - this.#lastTwccMs <= SOURCE_TIMEOUT_MS) return 'twcc';
    if (nowMs - this.#lastRembMs <= SOURCE_TIMEOUT_MS) return 'remb';
    return 'loss';
  }

  /** The estimate (bit/s) as of `nowMs`. */
  estimateAt(nowMs: number): number {
    const loss = this.#loss.estimateBps;
    switch (this.sourceAt(nowMs)) {
      case 'twcc':
        return Math.min(this.#aimd.estimateBps, loss);
      case 'remb':
        return Math.min(this.#rembBps, loss);
      case 'loss':
        return loss;
    }
  }

  /** The delay-based controller's estimate alone (bit/s; diagnostics and tests). */
  get delayBasedBps(): number {
    return this.#aimd.estimateBps;
  }

  /** The loss fraction of the last loss window. */
  get lossFraction(): number {
    return this.#loss.lastLoss;
  }
}
