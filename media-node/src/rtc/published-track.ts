/**
 * A track one participant publishes: receives its RTP once and fans it out to the
 * subscribers' forwarders; relays their keyframe requests to the publisher.
 */
import {
  type MediaStreamTrack,
  PictureLossIndication,
  type RTCRtpReceiver,
  RtcpPayloadSpecificFeedback,
  type RtpPacket,
} from 'werift';
import type { TrackInfo } from '../../../shared/api.ts';
import type { RtpCounters } from '../ops/metrics.ts';
import { type ErrorReporter, guard } from '../util/guard.ts';
import type { Forwarder } from './forwarder.ts';

/**
 * Sender SSRC of our PLIs. werift's `receiver.sendRtcpPLI` uses the SSRC of the transceiver's
 * own (unused) sender, which the publisher's SDP also lists for its receiver; a werift
 * publisher routes payload-specific feedback by sender SSRC first and so hands the PLI to its
 * receiver, never to its sender (verified: no keyframe request arrived). 1 is what receive-only
 * endpoints conventionally use (Chromium does), unknown to the publisher, so it falls back to
 * the media SSRC as it should.
 */
const PLI_SENDER_SSRC = 1;
/** Keyframe requests closer together than this are merged (PLI storms from many subscribers). */
const KEYFRAME_MIN_INTERVAL_MS = 200;

export interface PublishedTrackOptions {
  id: string;
  publisherSessionId: string;
  publisherDeviceId: string;
  track: MediaStreamTrack;
  receiver: RTCRtpReceiver;
  counters: RtpCounters;
  /** Called per received packet (idle detection). */
  onReceived(): void;
  report: ErrorReporter;
}

export class PublishedTrack {
  readonly id: string;
  readonly kind: 'audio' | 'video';
  readonly publisherSessionId: string;
  readonly publisherDeviceId: string;
  readonly #track: MediaStreamTrack;
  readonly #receiver: RTCRtpReceiver;
  readonly #forwarders = new Set<Forwarder>();
  readonly #unsubscribe: () => void;
  readonly #report: ErrorReporter;
  #lastKeyframeRequest = 0;
  #closed = false;

  constructor(o: PublishedTrackOptions) {
    this.id = o.id;
    this.kind = o.track.kind === 'video' ? 'video' : 'audio';
    this.publisherSessionId = o.publisherSessionId;
    this.publisherDeviceId = o.publisherDeviceId;
    this.#track = o.track;
    this.#receiver = o.receiver;
    this.#report = o.report;
    const counters = o.counters;
    const onReceived = o.onReceived;
    const forwarders = this.#forwarders;
    const { unSubscribe } = o.track.onReceiveRtp.subscribe(
      guard(o.report, 'receive_rtp', (rtp: RtpPacket) => {
        counters.packetsIn++;
        counters.bytesIn += rtp.payload.length;
        onReceived();
        // The publisher's header-extension ids mean nothing in the subscribers' sessions (each
        // negotiates its own map); werift's sender would copy them through verbatim.
        if (rtp.header.extensions.length > 0) rtp.header.extensions = [];
        for (const forwarder of forwarders) forwarder.forward(rtp);
      }),
    );
    this.#unsubscribe = unSubscribe;
  }

  get info(): TrackInfo {
    return { trackId: this.id, kind: this.kind };
  }

  get subscriberCount(): number {
    return this.#forwarders.size;
  }

  add(forwarder: Forwarder): void {
    if (!this.#closed) this.#forwarders.add(forwarder);
  }

  remove(forwarder: Forwarder): void {
    this.#forwarders.delete(forwarder);
  }

  /** Asks the publisher for a keyframe (werift does not forward subscribers' PLIs itself). */
  requestKeyframe(): void {
    const ssrc = this.#track.ssrc;
    if (this.#closed || this.kind !== 'video' || ssrc === undefined) return;
    const now = Date.now();
    if (now - this.#lastKeyframeRequest < KEYFRAME_MIN_INTERVAL_MS) return;
    this.#lastKeyframeRequest = now;
    const pli = new RtcpPayloadSpecificFeedback({
      feedback: new PictureLossIndication({ senderSsrc: PLI_SENDER_SSRC, mediaSsrc: ssrc }),
    });
    this.#receiver.dtlsTransport
      .sendRtcp([pli])
      .catch((error: unknown) => this.#report(error, 'send_pli'));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    for (const forwarder of this.#forwarders) forwarder.close();
    this.#forwarders.clear();
  }
}
