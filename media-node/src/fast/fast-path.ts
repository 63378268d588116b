import type { SendHistory } from '../bwe/send-history.ts';
import { FastForwarder } from './fast-forwarder.ts';
import type { FastSendConfig, FastSendStats } from './fast-send.ts';
import { FastSenderForwarder } from './fast-sender-forwarder.ts';
import type { FastSubscriber } from './fast-subscriber.ts';
import { extensionRewrite, type NegotiatedExtension } from './rtp-extensions.ts';

/** Start-up log lines already printed (one per process and distinct mode, not per registry). */
const logged = new Set<string>();

/** Sender-report period for fast-path SSRCs (werift's own loop waits 0.5-1.5 s). */
const SENDER_REPORT_INTERVAL_MS = 1_000;

/** The werift `RTCRtpSender` fields the fast path needs once the subscriber answered. */
export interface NegotiatedSender {
  ssrc: number;
  dtlsTransport: object;
  /** Set by werift's `prepareSend` when the description is applied (undefined before). */
  codec?: { payloadType: number; clockRate: number } | undefined;
  /** The subscriber's mid and negotiated extensions (`prepareSend`, same time). */
  mid?: string | undefined;
  headerExtensions?: readonly NegotiatedExtension[] | undefined;
  /** RTX payload type and SSRC when the subscriber negotiated RTX (`prepareSend`). */
  rtxPayloadType?: number | undefined;
  rtxSsrc?: number | undefined;
}

/**
 * The node-wide fast path: one shared `FastForwarder` (an incoming packet is serialized once for
 * all its subscribers) and the sender-report timer of every fast-path SSRC. The timer runs only
 * while at least one subscriber is attached, so it needs no owner beyond this object.
 */
export class FastPath {
  /** Throws when `FAST_SEND` / `FAST_SEND_FLUSH` hold an unknown value (fast-send.ts). */
  readonly shared: FastForwarder;
  readonly #live = new Map<FastSubscriber, number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(send?: FastSendConfig) {
    this.shared = new FastForwarder(send ? { send } : {});
    const c = this.shared.sendConfig;
    const line = `[media-node] fast send=${c.mode} (${c.detail})`;
    if (!logged.has(line)) {
      logged.add(line);
      console.info(line);
    }
  }

  /** The UDP send mode of the fast path and its batch counters (metrics). */
  sendStats(): Readonly<FastSendStats> {
    return this.shared.sendStats();
  }

  get size(): number {
    return this.#live.size;
  }

  /**
   * The fast forwarder for `sender`, or why it cannot have one (the caller keeps stock).
   * `publisherExtensions` are the publisher's negotiated ids (what arriving packets carry);
   * `twccHistory` gives the send history of the sender's transport (bandwidth estimation).
   */
  attach(
    sender: NegotiatedSender,
    publisherExtensions: readonly NegotiatedExtension[] = [],
    twccHistory?: (dtlsTransport: object) => SendHistory,
  ): FastSenderForwarder | string {
    const codec = sender.codec;
    if (!codec) return 'no negotiated codec';
    const rtx =
      sender.rtxPayloadType !== undefined && sender.rtxSsrc !== undefined
        ? { payloadType: sender.rtxPayloadType, ssrc: sender.rtxSsrc }
        : undefined;
    const created = FastSenderForwarder.tryCreate(this.shared, sender, {
      payloadType: codec.payloadType,
      extensions: extensionRewrite(publisherExtensions, sender.headerExtensions ?? [], sender.mid),
      rtx,
      twccHistory: twccHistory?.(sender.dtlsTransport),
    });
    if (typeof created === 'string') return created;
    this.#live.set(created.subscriber, codec.clockRate);
    this.#timer ??= setInterval(() => this.#report(), SENDER_REPORT_INTERVAL_MS).unref();
    return created;
  }

  detach(forwarder: FastSenderForwarder): void {
    forwarder.close();
    this.#live.delete(forwarder.subscriber);
    if (this.#live.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #report(): void {
    const now = performance.now();
    for (const [sub, clockRate] of this.#live) sub.sendSenderReport(clockRate, now);
  }
}
