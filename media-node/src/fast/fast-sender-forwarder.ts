import type { FastForwarder, WeriftRtpLike } from './fast-forwarder.ts';
import {
  FastPathUnavailable,
  FastSubscriber,
  type FastSubscriberOptions,
} from './fast-subscriber.ts';

/** The werift `RTCRtpSender` fields used to set up a subscriber (public API). */
export interface WeriftSenderLike {
  ssrc: number;
  dtlsTransport: object;
}

/**
 * Adapter to the media node's per-subscriber `Forwarder` seam (`forward(rtp)` / `close()`, see
 * media-node/src/rtc/forwarder.ts): replaces `sender.sendRtp(rtp)` with the synchronous fast path.
 * All adapters of one node share one `FastForwarder`, so an incoming packet is serialized once.
 */
export class FastSenderForwarder {
  readonly subscriber: FastSubscriber;
  private readonly shared: FastForwarder;

  private constructor(shared: FastForwarder, subscriber: FastSubscriber) {
    this.shared = shared;
    this.subscriber = subscriber;
  }

  /**
   * The fast path for `sender`, or the reason it is unavailable (the caller then keeps the stock
   * forwarder). `options` hold the PT negotiated with this subscriber, its extensions and RTX.
   */
  static tryCreate(
    shared: FastForwarder,
    sender: WeriftSenderLike,
    options: Omit<FastSubscriberOptions, 'ssrc'>,
  ): FastSenderForwarder | string {
    try {
      const sub = new FastSubscriber(sender.dtlsTransport, { ...options, ssrc: sender.ssrc });
      return new FastSenderForwarder(shared, sub);
    } catch (error) {
      if (error instanceof FastPathUnavailable) return error.message;
      throw error;
    }
  }

  /** Never throws: a packet that cannot be sent is counted in `subscriber.packetsDropped`. */
  forward(rtp: WeriftRtpLike): void {
    this.shared.forwardRtp(rtp, this.subscriber);
  }

  /** Resends a NACKed packet to this subscriber (RTX when negotiated); never throws. */
  resend(rtp: WeriftRtpLike): boolean {
    return this.shared.resend(rtp, this.subscriber);
  }

  close(): void {
    this.subscriber.close();
  }
}
