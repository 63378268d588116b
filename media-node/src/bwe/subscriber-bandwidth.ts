/**
 * One session's downlink as a subscriber: what its transport sent (per transport-cc sequence
 * number), the RTCP feedback it returns (transport-cc, REMB, receiver reports) fed to its
 * `BandwidthEstimator`, and a periodic tick that runs its `SubscriberAllocator` when the
 * forwarder's layer control is wired (`setLayerControl`) and reports the estimate (metric).
 *
 * werift hands every RTCP packet of a DTLS transport to `dtlsTransport.onRtcp` (whatever SSRC
 * it names, which its router would use to pick one sender), so feedback is read there once per
 * transport. Send records: the fast path stores them itself (fast-subscriber.ts `twccSent`); on
 * the stock path werift calls `sender.senderBWE.rtpPacketSent` after each send with the
 * transport-wide number, which is replaced per sender by a store into the same history (werift's
 * own estimator behind it is then idle; it never pruned its records, werift-patches.ts).
 */
import type { BandwidthView } from '../../../shared/internal.ts';
import { type LayerChoice, SubscriberAllocator, type TrackDemand } from './allocator.ts';
import { BandwidthEstimator, type BandwidthSource } from './estimator.ts';
import { SendHistory } from './send-history.ts';
import { matchFeedback, type TwccFeedbackLike, twccResults } from './twcc-feedback.ts';

/** How often the allocator runs (ms); a subscriber's own choice triggers a run at once. */
export const ALLOCATE_INTERVAL_MS = 500;
/** The estimate is reported to the metric every this many ticks (once a second). */
const REPORT_EVERY_TICKS = 2;

/** RTCP packet types and feedback formats read here (RFC 3550, 4585; transport-cc; REMB). */
const RTCP_SR = 200;
const RTCP_RR = 201;
const RTCP_RTPFB = 205;
const RTCP_PSFB = 206;
const FMT_TRANSPORT_CC = 15;
const FMT_AFB_REMB = 15;

/** The werift `RTCDtlsTransport` part used: its RTCP event. */
export interface RtcpSource {
  onRtcp: { subscribe(fn: (packet: unknown) => void): { unSubscribe(): void } };
}

/** The werift `RTCRtpSender` part used on the stock path. */
export interface StockSenderLike {
  dtlsTransport: object;
  senderBWE: { rtpPacketSent(info: { wideSeq: number; size: number }): void };
}

/** The forwarder's layer control, wired by the room (simulcast): what to allocate and how. */
export interface LayerControl {
  /** The subscriber's tracks now, with their layers, choices and the speaker flag. */
  demands(): readonly TrackDemand[];
  /** Applies changed choices (`setTargetLayer(subscriber, trackId, rid | 'paused')`). */
  apply(changed: ReadonlyMap<string, LayerChoice>): void;
}

export interface SubscriberBandwidthOptions {
  /** Called about once a second with the estimate (the node's histogram). */
  onEstimate?(bps: number, source: BandwidthSource): void;
  report(error: unknown, where: string): void;
  now?(): number;
}

export class SubscriberBandwidth {
  readonly estimator = new BandwidthEstimator();
  readonly allocator = new SubscriberAllocator();
  readonly #histories = new Map<object, SendHistory>();
  readonly #offs: Array<() => void> = [];
  readonly #o: SubscriberBandwidthOptions;
  readonly #now: () => number;
  #control: LayerControl | undefined;
  #timer: NodeJS.Timeout | undefined;
  #ticks = 0;
  #closed = false;

  constructor(o: SubscriberBandwidthOptions) {
    this.#o = o;
    this.#now = o.now ?? (() => performance.now());
  }

  /**
   * The send history of `dtlsTransport` (transport-cc numbers are per transport), watching its
   * RTCP from the first call on.
   */
  historyFor(dtlsTransport: object): SendHistory {
    let history = this.#histories.get(dtlsTransport);
    if (history) return history;
    history = new SendHistory();
    this.#histories.set(dtlsTransport, history);
    if (this.#closed) return history;
    const source = dtlsTransport as Partial<RtcpSource>;
    if (typeof source.onRtcp?.subscribe === 'function') {
      const h = history;
      const { unSubscribe } = source.onRtcp.subscribe((packet) => {
        try {
          this.onRtcp(packet, h);
        } catch (error) {
          this.#o.report(error, 'bwe_rtcp');
        }
      });
      this.#offs.push(unSubscribe);
    }
    this.#timer ??= setInterval(() => this.#tick(), ALLOCATE_INTERVAL_MS).unref();
    return history;
  }

  /** Stock path: records what werift's `sender` sends (its transport-wide numbers). */
  trackStockSender(sender: StockSenderLike): void {
    // werift may move a sender to the bundle's transport when the answer is applied.
    let dtls = sender.dtlsTransport;
    let history = this.historyFor(dtls);
    const now = this.#now;
    sender.senderBWE.rtpPacketSent = (info) => {
      if (sender.dtlsTransport !== dtls) {
        dtls = sender.dtlsTransport;
        history = this.historyFor(dtls);
      }
      history.record(info.wideSeq, now(), info.size);
    };
  }

  /** One RTCP packet from the subscriber (werift's parsed form). */
  onRtcp(packet: unknown, history: SendHistory): void {
    if (this.#closed || typeof packet !== 'object' || packet === null) return;
    const p = packet as { type?: number; feedback?: unknown; reports?: unknown };
    const now = this.#now();
    switch (p.type) {
      case RTCP_RTPFB: {
        const fb = p.feedback as (TwccFeedbackLike & { count?: number }) | undefined;
        if (fb?.count !== FMT_TRANSPORT_CC) return;
        this.estimator.onTransportFeedback(matchFeedback(twccResults(fb), history), now);
        return;
      }
      case RTCP_PSFB: {
        const fb = p.feedback as { count?: number; bitrate?: unknown } | undefined;
        if (fb?.count !== FMT_AFB_REMB || typeof fb.bitrate !== 'bigint') return;
        this.estimator.onRemb(Number(fb.bitrate), now);
        return;
      }
      case RTCP_SR:
      case RTCP_RR: {
        // Every report block the subscriber sends is about a stream it receives from us.
        if (!Array.isArray(p.reports) || p.reports.length === 0) return;
        let worst = 0;
        for (const r of p.reports as Array<{ fractionLost?: number }>) {
          worst = Math.max(worst, (r.fractionLost ?? 0) / 256);
        }
        this.estimator.onReceiverReportLoss(worst, now);
        return;
      }
    }
  }

  /** The estimate and its source, or undefined before this session subscribed to anything. */
  view(): BandwidthView | undefined {
    if (this.#histories.size === 0) return undefined;
    const now = this.#now();
    return {
      estimateBps: Math.round(this.estimator.estimateAt(now)),
      source: this.estimator.sourceAt(now),
    };
  }

  /** Wires the forwarder's layer control: the allocator then runs on every tick. */
  setLayerControl(control: LayerControl | undefined): void {
    this.#control = control;
  }

  /**
   * Runs the allocator now (a tick, or the subscriber changed `maxLayer` / `paused`); applies
   * and returns the changed choices. Nothing without a layer control.
   */
  allocate(): ReadonlyMap<string, LayerChoice> {
    const control = this.#control;
    if (!control || this.#closed) return new Map();
    const now = this.#now();
    const { changed } = this.allocator.update(
      this.estimator.estimateAt(now),
      control.demands(),
      now,
    );
    if (changed.size > 0) control.apply(changed);
    return changed;
  }

  #tick(): void {
    try {
      this.allocate();
      if (++this.#ticks % REPORT_EVERY_TICKS === 0) {
        const now = this.#now();
        this.#o.onEstimate?.(this.estimator.estimateAt(now), this.estimator.sourceAt(now));
      }
    } catch (error) {
      this.#o.report(error, 'bwe_tick');
    }
  }

  /** Idempotent: stops the tick and unhooks the RTCP listeners. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    for (const off of this.#offs.splice(0)) off();
    this.#control = undefined;
  }
}
