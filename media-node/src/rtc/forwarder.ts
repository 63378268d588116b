/**
 * The forwarding seam: a published track hands each RTP packet to one `Forwarder` per
 * subscriber. This implementation is werift's stock path (`sender.sendRtp`, which clones the
 * packet, rewrites SSRC / payload type / sequence offsets and encrypts); a native SRTP fast
 * path (media-node/src/fast/) plugs in here by implementing the same interface.
 */
import type { RTCRtpSender, RtpPacket } from 'werift';
import type { RtpCounters } from '../ops/metrics.ts';
import type { ErrorReporter } from '../util/guard.ts';

export interface Forwarder {
  /** Sends one packet to the subscriber; must not throw and must not keep `rtp`. */
  forward(rtp: RtpPacket): void;
  /** Stops forwarding; idempotent. */
  close(): void;
}

/** Forwards through a werift `RTCRtpSender` of the subscriber's peer connection. */
export class WeriftSenderForwarder implements Forwarder {
  readonly #sender: RTCRtpSender;
  readonly #counters: RtpCounters;
  readonly #onSent: () => void;
  readonly #onError: (error: unknown) => void;
  #closed = false;

  constructor(
    sender: RTCRtpSender,
    counters: RtpCounters,
    onSent: () => void,
    report: ErrorReporter,
  ) {
    this.#sender = sender;
    this.#counters = counters;
    this.#onSent = onSent;
    this.#onError = (error) => report(error, 'forward');
  }

  forward(rtp: RtpPacket): void {
    if (this.#closed) return;
    this.#counters.packetsOut++;
    this.#counters.bytesOut += rtp.payload.length;
    this.#onSent();
    // sendRtp is async (SRTP + socket); its promise must never reject unhandled.
    this.#sender.sendRtp(rtp).catch(this.#onError);
  }

  close(): void {
    this.#closed = true;
  }
}
