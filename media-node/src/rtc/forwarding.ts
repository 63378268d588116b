/**
 * Which forwarder each subscription gets. `FORWARDER=fast` (the default) uses the synchronous
 * fast path (media-node/src/fast/: in-place header rewrite, reused SRTP context, send on werift's
 * ICE socket) once the subscriber has answered the offer that added the m-line; any subscriber
 * whose transport the fast path cannot use falls back to werift's stock `sender.sendRtp`, with
 * the reason logged and counted. `FORWARDER=stock` keeps werift's path for everyone.
 *
 * One owner per SSRC: on the fast path nothing is forwarded until the answer is applied, so
 * werift's sender never sends RTP on that SSRC and never starts its SR loop (`runRtcp` starts on
 * the first stock send); the fast path sends the SSRC's sender reports itself (fast-path.ts).
 */
import type { RTCRtpSender, RtpPacket } from 'werift';
import type { SendHistory } from '../bwe/send-history.ts';
import type { Config } from '../config.ts';
import { FastPath } from '../fast/fast-path.ts';
import { resolveFastSend } from '../fast/fast-send.ts';
import type { FastSenderForwarder } from '../fast/fast-sender-forwarder.ts';
import type { RtpCounters } from '../ops/metrics.ts';
import type { ErrorReporter } from '../util/guard.ts';
import { type Forwarder, type PublisherExtensions, WeriftSenderForwarder } from './forwarder.ts';
import { stockSent } from './quality/werift-stats.ts';

export type ForwarderPath = 'fast' | 'stock';

/** Bounded fallback reasons (metric label); the exact reason goes to the log. */
export const FALLBACK_REASONS = [
  'codec',
  'dtls',
  'srtp_profile',
  'ice_route',
  'internals',
] as const;
export type FallbackReason = (typeof FALLBACK_REASONS)[number];

export function fallbackReason(detail: string): FallbackReason {
  if (detail.includes('codec')) return 'codec';
  if (detail.startsWith('dtls state') || detail === 'no dtlsTransport') return 'dtls';
  if (detail.includes('SRTP profile')) return 'srtp_profile';
  if (/consent|pair|socket|remoteAddr/.test(detail)) return 'ice_route';
  return 'internals';
}

export interface ForwardingOptions {
  path: ForwarderPath;
  fastSend: Config['fastSend'];
  counters: RtpCounters;
  report: ErrorReporter;
  onFallback(reason: FallbackReason, detail: string): void;
}

/** Node-wide forwarder factory and the live count per path (for `media_forwarder_subscribers`). */
export class Forwarding {
  readonly path: ForwarderPath;
  readonly fast: FastPath;
  readonly live = { fast: 0, stock: 0, pending: 0 };
  readonly #o: ForwardingOptions;

  constructor(o: ForwardingOptions) {
    this.#o = o;
    this.path = o.path;
    this.fast = new FastPath(
      resolveFastSend({ FAST_SEND: o.fastSend.mode, FAST_SEND_FLUSH: o.fastSend.flush }),
    );
  }

  /**
   * A forwarder for one subscription; on the fast path it waits for `activate()`.
   * `publisherExtensions` are the track publisher's negotiated header extension ids;
   * `twccHistory` the send history of a transport (the subscriber's bandwidth estimator).
   */
  create(
    sender: RTCRtpSender,
    onSent: () => void,
    publisherExtensions: PublisherExtensions = () => [],
    twccHistory?: (dtlsTransport: object) => SendHistory,
  ): SubscriberForwarder {
    return new SubscriberForwarder(this, this.#o, sender, onSent, publisherExtensions, twccHistory);
  }
}

export class SubscriberForwarder implements Forwarder {
  readonly #f: Forwarding;
  readonly #o: ForwardingOptions;
  readonly #sender: RTCRtpSender;
  readonly #onSent: () => void;
  readonly #publisherExtensions: PublisherExtensions;
  readonly #twccHistory: ((dtlsTransport: object) => SendHistory) | undefined;
  #stock: WeriftSenderForwarder | undefined;
  #fast: FastSenderForwarder | undefined;
  #closed = false;

  constructor(
    f: Forwarding,
    o: ForwardingOptions,
    sender: RTCRtpSender,
    onSent: () => void,
    publisherExtensions: PublisherExtensions,
    twccHistory?: (dtlsTransport: object) => SendHistory,
  ) {
    this.#f = f;
    this.#twccHistory = twccHistory;
    this.#o = o;
    this.#sender = sender;
    this.#onSent = onSent;
    this.#publisherExtensions = publisherExtensions;
    if (f.path === 'stock') this.#useStock();
    else f.live.pending++;
  }

  /** 'fast', 'stock', or 'pending' (fast mode, answer not applied yet). */
  get path(): 'fast' | 'stock' | 'pending' {
    return this.#fast ? 'fast' : this.#stock ? 'stock' : 'pending';
  }

  /**
   * RTP packets and payload bytes sent to this subscriber so far (quality stats): the fast
   * path's own counters, or werift's for the stock path; zero while pending.
   */
  sent(): { packets: number; bytes: number; fast: boolean } {
    if (this.#fast) {
      const sub = this.#fast.subscriber;
      return { packets: sub.packetsSent, bytes: sub.payloadBytesSent, fast: true };
    }
    const stock = this.#stock ? stockSent(this.#sender) : undefined;
    return { packets: stock?.packets ?? 0, bytes: stock?.bytes ?? 0, fast: false };
  }

  /** The subscriber applied our offer: the payload type is negotiated, the SSRC announced. */
  activate(): void {
    if (this.#closed || this.path !== 'pending') return;
    this.#f.live.pending--;
    const fast = this.#f.fast.attach(
      this.#sender as unknown as Parameters<FastPath['attach']>[0],
      this.#publisherExtensions(),
      this.#twccHistory,
    );
    if (typeof fast === 'string') {
      this.#o.onFallback(fallbackReason(fast), fast);
      this.#useStock();
      return;
    }
    this.#fast = fast;
    this.#f.live.fast++;
  }

  forward(rtp: RtpPacket): void {
    if (this.#fast) {
      const counters = this.#o.counters;
      counters.packetsOut++;
      counters.bytesOut += rtp.payload.length;
      this.#onSent();
      this.#fast.forward(rtp);
    } else {
      this.#stock?.forward(rtp);
    }
  }

  /**
   * Resends a packet to this subscriber only (its NACK), as RTX when it negotiated RTX. Stock:
   * werift answers NACKs itself from its own history (also as RTX when negotiated), so only the
   * fast path needs this.
   */
  retransmit(rtp: RtpPacket): boolean {
    if (!this.#fast) return false;
    this.#fast.resend(rtp);
    return true;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const live = this.#f.live;
    if (this.#fast) {
      this.#f.fast.detach(this.#fast);
      live.fast--;
    } else if (this.#stock) {
      this.#stock.close();
      live.stock--;
    } else {
      live.pending--;
    }
  }

  #useStock(): void {
    this.#stock = new WeriftSenderForwarder(
      this.#sender,
      this.#o.counters,
      this.#onSent,
      this.#o.report,
      this.#publisherExtensions,
    );
    this.#f.live.stock++;
  }
}
