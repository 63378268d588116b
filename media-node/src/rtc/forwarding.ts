/**
 * Which forwarder each subscription gets. `FORWARDER=fast` (the default) uses the synchronous
 * fast path (media-node/src/fast/: in-place header rewrite, reused SRTP context, send on werift's
 * ICE socket) once the subscriber has answered the offer that added the m-line; any subscriber
 * whose transport the fast path cannot use falls back to werift's stock `sender.sendRtp`, with
 * the reason logged and counted. `FORWARDER=stock` keeps werift's path for everyone.
 *
 * Each subscriber forwarder picks one simulcast layer of its track (layers.ts: switches on a
 * keyframe of the wanted layer, pauses at once) and keeps its outgoing stream continuous across
 * switches and pauses (stream-rewriter.ts), on either path. `setTarget` is what the subscriber's
 * `maxLayer` / `paused` and the bandwidth allocator drive.
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
import { LayerSelector, neededLayer, Offer, type TargetLayer } from './layers.ts';
import { stockSent } from './quality/werift-stats.ts';
import { StreamRewriter } from './stream-rewriter.ts';

/** What a subscriber forwarder needs of its track (PublishedTrack). */
export interface LayerSource {
  readonly kind: 'audio' | 'video';
  /** Quality rank per layer, ascending (one entry without simulcast). */
  readonly ranks: readonly number[];
  /** Bit i set while layer i receives. */
  readonly activeMask: number;
  readonly codec: { clockRate: number } | undefined;
  requestKeyframe(layer: number): void;
  /** A subscriber's target changed (dynacast recomputes what the publisher must send). */
  targetsChanged?(): void;
}

/** A single-layer audio source, for forwarders created without a track (tests, benchmarks). */
const SINGLE_LAYER: LayerSource = {
  kind: 'audio',
  ranks: [0],
  activeMask: 1,
  codec: undefined,
  requestKeyframe: () => {},
};

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
  /** Layer switches of subscribers (`media_layer_switches_total{direction}`), never reset. */
  readonly switches = { up: 0, down: 0 };
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
    source: LayerSource = SINGLE_LAYER,
    twccHistory?: (dtlsTransport: object) => SendHistory,
  ): SubscriberForwarder {
    return new SubscriberForwarder(
      this,
      this.#o,
      sender,
      onSent,
      publisherExtensions,
      source,
      false,
      twccHistory,
    );
  }

  /**
   * An echo session's own track sent back on its own transceiver: werift's stock sender (as
   * before simulcast), not counted as a subscription, with the same layer choice (the highest
   * layer the publisher sends) and continuity across switches.
   */
  createEcho(
    sender: RTCRtpSender,
    publisherExtensions: PublisherExtensions,
    source: LayerSource,
  ): SubscriberForwarder {
    const echo = new SubscriberForwarder(
      this,
      this.#o,
      sender,
      () => {},
      publisherExtensions,
      source,
      true,
    );
    return echo;
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
  readonly #source: LayerSource;
  readonly #select: LayerSelector;
  readonly #rewrite = new StreamRewriter();
  /** The source's `activeMask` the selector last saw. */
  #mask: number;
  /** The layer of the last packet sent (-1: none yet), to tell up from down at a switch. */
  #sentLayer = -1;
  /** An echo forwarder: stock path, not counted in `live`. */
  readonly #echo: boolean;

  constructor(
    f: Forwarding,
    o: ForwardingOptions,
    sender: RTCRtpSender,
    onSent: () => void,
    publisherExtensions: PublisherExtensions,
    source: LayerSource,
    echo = false,
    twccHistory?: (dtlsTransport: object) => SendHistory,
  ) {
    this.#f = f;
    this.#echo = echo;
    this.#twccHistory = twccHistory;
    this.#o = o;
    this.#sender = sender;
    this.#onSent = onSent;
    this.#publisherExtensions = publisherExtensions;
    this.#source = source;
    this.#mask = source.activeMask;
    this.#select = new LayerSelector({
      ranks: source.ranks,
      requestKeyframe: (layer) => source.requestKeyframe(layer),
    });
    if (echo || f.path === 'stock') this.#useStock();
    else f.live.pending++;
  }

  /** What this subscriber should get of the track: at most a layer, or `paused`. */
  setTarget(target: TargetLayer): void {
    if (target === this.#select.target) return;
    this.#select.setTarget(target);
    this.#source.targetsChanged?.();
  }

  neededLayer(): number {
    return neededLayer(this.#source.ranks, this.#select.target);
  }

  get target(): TargetLayer {
    return this.#select.target;
  }

  /** The layer being forwarded now (-1: none: paused, or waiting for a keyframe). */
  get layer(): number {
    return this.#select.current;
  }

  /** Asks the publisher for a keyframe of the layer this subscriber gets or waits for. */
  requestKeyframe(): void {
    if (this.#select.paused) return;
    const current = this.#select.current;
    this.#source.requestKeyframe(
      current >= 0 ? current : this.#select.wanted(this.#source.activeMask),
    );
  }

  /** The source sequence number (of the current layer) of an outgoing one (NACKs). */
  sourceSeq(outSeq: number): number {
    return this.#rewrite.sourceSeq(outSeq);
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
    this.#applyOffsets();
    this.#f.live.fast++;
  }

  forward(rtp: RtpPacket, layer = 0, keyframe = true, now = 0): void {
    const fast = this.#fast;
    if (!fast && !this.#stock) return;
    // One comparison per packet for a subscriber on its layer; the selector sees the rest.
    const mask = this.#source.activeMask;
    if (layer !== this.#select.current || mask !== this.#mask) {
      this.#mask = mask;
      const offer = this.#select.offer(layer, keyframe, mask);
      if (offer === Offer.Drop) return;
      if (offer === Offer.Switch) this.#switched(rtp, layer, now);
    }
    const { sequenceNumber, timestamp } = rtp.header;
    this.#rewrite.sent(sequenceNumber, timestamp, now);
    if (fast) {
      const counters = this.#o.counters;
      counters.packetsOut++;
      counters.bytesOut += rtp.payload.length;
      this.#onSent();
      fast.forward(rtp);
    } else {
      this.#stock?.forward(rtp);
    }
  }

  /** `rtp` starts `layer` (a switch, a resume, or the first packet): continue the stream. */
  #switched(rtp: RtpPacket, layer: number, now: number): void {
    const clockRate = this.#source.codec?.clockRate ?? 90_000;
    this.#rewrite.switchTo(rtp.header.sequenceNumber, rtp.header.timestamp, now, clockRate);
    this.#applyOffsets();
    const before = this.#sentLayer;
    this.#sentLayer = layer;
    if (before < 0 || before === layer) return;
    if (layer > before) this.#f.switches.up++;
    else this.#f.switches.down++;
  }

  #applyOffsets(): void {
    const { seqOffset, tsOffset } = this.#rewrite;
    if (this.#fast) {
      this.#fast.subscriber.seqOffset = seqOffset;
      this.#fast.subscriber.tsOffset = tsOffset;
    }
    if (this.#stock) {
      this.#stock.seqOffset = seqOffset;
      this.#stock.tsOffset = tsOffset;
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
      if (!this.#echo) live.stock--;
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
    this.#applyOffsets();
    if (!this.#echo) this.#f.live.stock++;
  }
}
