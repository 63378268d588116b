/**
 * The forwarding seam: a published track hands each RTP packet to one `Forwarder` per
 * subscriber. This implementation is werift's stock path (`sender.sendRtp`, which clones the
 * packet, rewrites SSRC / payload type / sequence offsets and encrypts); a native SRTP fast
 * path (media-node/src/fast/) plugs in here by implementing the same interface.
 */
import type { RTCRtpSender, RtpPacket } from 'werift';
import {
  type ExtensionRewrite,
  extensionRewrite,
  type NegotiatedExtension,
  passThroughList,
} from '../fast/rtp-extensions.ts';
import type { RtpCounters } from '../ops/metrics.ts';
import type { ErrorReporter } from '../util/guard.ts';

/** RFC 8285 one-byte header form; werift writes its extensions in the packet's own form. */
const ONE_BYTE_PROFILE = 0xbede;

export interface Forwarder {
  /**
   * Offers one packet to the subscriber; must not throw and must not keep `rtp`. `layer` is the
   * index of the simulcast layer it belongs to (0 without simulcast), `keyframe` whether it
   * starts a keyframe (always true for audio), `now` its arrival (`performance.now()`).
   */
  forward(rtp: RtpPacket, layer?: number, keyframe?: boolean, now?: number): void;
  /** The layer this subscriber needs the publisher to send (-1: none; absent: the highest). */
  neededLayer?(): number;
  /** Stops forwarding; idempotent. */
  close(): void;
}

/** The publisher's negotiated header extensions (what its packets carry), read when needed. */
export type PublisherExtensions = () => readonly NegotiatedExtension[];

/**
 * Forwards through a werift `RTCRtpSender` of the subscriber's peer connection. werift writes the
 * hop-by-hop extensions the subscriber negotiated (mid, transport-cc, abs-send-time) itself and
 * copies any other element of the packet by id, so the packet is handed over with only the
 * pass-through elements, under the subscriber's ids (fast/rtp-extensions.ts).
 */
export class WeriftSenderForwarder implements Forwarder {
  readonly #sender: RTCRtpSender;
  readonly #counters: RtpCounters;
  readonly #onSent: () => void;
  readonly #onError: (error: unknown) => void;
  readonly #publisherExtensions: PublisherExtensions;
  /** The rewrite and the two lists it was computed from (recomputed when either changes). */
  #rewrite: { rw: ExtensionRewrite | undefined; pub: unknown; sub: unknown } | undefined;
  #closed = false;
  /** Added to the source's sequence numbers (mod 2^16) and timestamps (mod 2^32): layer switches. */
  seqOffset = 0;
  tsOffset = 0;

  constructor(
    sender: RTCRtpSender,
    counters: RtpCounters,
    onSent: () => void,
    report: ErrorReporter,
    publisherExtensions: PublisherExtensions = () => [],
  ) {
    this.#sender = sender;
    this.#counters = counters;
    this.#onSent = onSent;
    this.#onError = (error) => report(error, 'forward');
    this.#publisherExtensions = publisherExtensions;
  }

  forward(rtp: RtpPacket): void {
    if (this.#closed) return;
    this.#counters.packetsOut++;
    this.#counters.bytesOut += rtp.payload.length;
    this.#onSent();
    // The packet is shared by every subscriber: werift clones it synchronously at the start of
    // sendRtp, so the header is changed for this call only and restored.
    const header = rtp.header;
    const { extensions, extension, extensionProfile, sequenceNumber, timestamp } = header;
    header.extensions = passThroughList(extensions, this.#extensionRewrite());
    header.extension = false;
    header.extensionProfile = ONE_BYTE_PROFILE;
    header.sequenceNumber = (sequenceNumber + this.seqOffset) & 0xffff;
    header.timestamp = (timestamp + this.tsOffset) >>> 0;
    try {
      // sendRtp is async (SRTP + socket); its promise must never reject unhandled.
      this.#sender.sendRtp(rtp).catch(this.#onError);
    } finally {
      header.extensions = extensions;
      header.extension = extension;
      header.extensionProfile = extensionProfile;
      header.sequenceNumber = sequenceNumber;
      header.timestamp = timestamp;
    }
  }

  #extensionRewrite(): ExtensionRewrite | undefined {
    const pub = this.#publisherExtensions();
    // Private in werift's types; set by its prepareSend from the negotiated description.
    const sub = (this.#sender as unknown as { headerExtensions?: NegotiatedExtension[] })
      .headerExtensions;
    const cached = this.#rewrite;
    if (cached && cached.pub === pub && cached.sub === sub) return cached.rw;
    // mid and the hop-by-hop extensions are werift's to write: only the pass-through map is used.
    const rw = extensionRewrite(pub, sub ?? [], undefined);
    this.#rewrite = { rw, pub, sub };
    return rw;
  }

  close(): void {
    this.#closed = true;
  }
}
