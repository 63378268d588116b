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
import type { NegotiatedExtension } from '../fast/rtp-extensions.ts';
import type { RtpCounters } from '../ops/metrics.ts';
import { type ErrorReporter, guard } from '../util/guard.ts';
import { AudioLevelMeter, audioLevelId } from './audio-level.ts';
import type { Forwarder } from './forwarder.ts';
import { isKeyframeStart, type KeyframeCodec, keyframeCodec } from './keyframe.ts';
import { InboundTrackStats } from './quality/inbound-stats.ts';

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
/**
 * Packets kept per track, by sequence number (power of two): ~10 s of video at 50 pkt/s. They
 * answer fast-path subscribers' NACKs and recognise duplicates from the publisher.
 */
const HISTORY_SIZE = 512;
/**
 * A keyframe asked for and not seen this long after is asked for again (the PLI or the
 * keyframe's first packet was lost; without this, a joining subscriber froze until the next
 * periodic keyframe), up to `KEYFRAME_RETRIES` times.
 */
const KEYFRAME_RETRY_MS = 1_000;
const KEYFRAME_RETRIES = 3;

export interface PublishedTrackOptions {
  id: string;
  publisherSessionId: string;
  publisherDeviceId: string;
  track: MediaStreamTrack;
  receiver: RTCRtpReceiver;
  /** The publisher's negotiated header extensions (its transceiver's, with its ids). */
  extensions(): readonly NegotiatedExtension[];
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
  readonly #extensions: () => readonly NegotiatedExtension[];
  readonly #forwarders = new Set<Forwarder>();
  readonly #history: Array<RtpPacket | undefined> = new Array(HISTORY_SIZE);
  /** How the node receives this track (quality stats, sampled on the stats timer). */
  readonly inbound: InboundTrackStats;
  /** The publisher's audio levels since the room's last speaker tick (audio tracks only). */
  readonly level: AudioLevelMeter | undefined;
  /** The audio level id and the extension list it was read from (renegotiation may change it). */
  #levelId = { id: 0, from: undefined as unknown };
  /** Packets from the publisher dropped as duplicates of one already forwarded. */
  duplicatesDropped = 0;
  /** Keyframes received from the publisher (first packets, keyframe.ts). */
  keyframes = 0;
  /** `performance.now()` of the last keyframe's first packet (-1: none yet). */
  lastKeyframeAt = -1;
  /** When the keyframe asked for was asked (-1: none pending), and the retries made. */
  #keyframeAskedAt = -1;
  #keyframeRetries = 0;
  #keyframeCodec: KeyframeCodec | undefined;
  readonly #unsubscribe: () => void;
  readonly #report: ErrorReporter;
  #lastKeyframeRequest = 0;
  /** The request merged into the end of the current interval, if one is waiting. */
  #pendingKeyframe: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(o: PublishedTrackOptions) {
    this.id = o.id;
    this.kind = o.track.kind === 'video' ? 'video' : 'audio';
    this.publisherSessionId = o.publisherSessionId;
    this.publisherDeviceId = o.publisherDeviceId;
    this.#track = o.track;
    this.#receiver = o.receiver;
    this.#extensions = o.extensions;
    this.#report = o.report;
    const counters = o.counters;
    const onReceived = o.onReceived;
    const forwarders = this.#forwarders;
    const history = this.#history;
    this.inbound = new InboundTrackStats(o.receiver, () => o.track.ssrc);
    const level = this.kind === 'audio' ? new AudioLevelMeter() : undefined;
    this.level = level;
    const { unSubscribe } = o.track.onReceiveRtp.subscribe(
      guard(o.report, 'receive_rtp', (rtp: RtpPacket) => {
        counters.packetsIn++;
        counters.bytesIn += rtp.payload.length;
        onReceived();
        // werift's NACK handler asks the publisher again every 5 ms (up to 10 times) and hands
        // every copy that arrives to onReceiveRtp: without this check each duplicate went to every
        // subscriber. A packet that was lost before reaching us is not in the history and is
        // forwarded (nobody has it).
        const { sequenceNumber: seq, timestamp } = rtp.header;
        const slot = seq & (HISTORY_SIZE - 1);
        const seen = history[slot];
        if (seen && seen.header.sequenceNumber === seq && seen.header.timestamp === timestamp) {
          this.duplicatesDropped++;
          return;
        }
        history[slot] = rtp;
        if (this.kind === 'video') this.#watchKeyframe(rtp.payload);
        else if (level) {
          const id = this.#audioLevelId();
          if (id) level.add(rtp.header.extensions, id);
        }
        // Header extensions stay: each forwarder rewrites them for its subscriber's ids.
        for (const forwarder of forwarders) forwarder.forward(rtp);
      }),
    );
    this.#unsubscribe = unSubscribe;
  }

  /** The codec the publisher negotiated first (what it sends), undefined before negotiation. */
  get codec(): { mimeType: string; clockRate: number } | undefined {
    return this.#track.codec;
  }

  /** The id the publisher's packets carry the audio level under (0: not negotiated). */
  #audioLevelId(): number {
    const list = this.#extensions();
    const cached = this.#levelId;
    if (cached.from !== list) this.#levelId = { id: audioLevelId(list), from: list };
    return this.#levelId.id;
  }

  /** The publisher's negotiated header extensions (ids as its packets carry them). */
  get extensions(): readonly NegotiatedExtension[] {
    return this.#extensions();
  }

  get info(): TrackInfo {
    return { trackId: this.id, kind: this.kind };
  }

  get subscriberCount(): number {
    return this.#forwarders.size;
  }

  /** The packet with publisher sequence number `seq`, if still in the history. */
  recent(seq: number): RtpPacket | undefined {
    const p = this.#history[seq & (HISTORY_SIZE - 1)];
    return p?.header.sequenceNumber === seq ? p : undefined;
  }

  add(forwarder: Forwarder): void {
    if (!this.#closed) this.#forwarders.add(forwarder);
  }

  remove(forwarder: Forwarder): void {
    this.#forwarders.delete(forwarder);
  }

  /** Asks the publisher for a keyframe (werift does not forward subscribers' PLIs itself). */
  requestKeyframe(): void {
    if (this.#closed || this.kind !== 'video') return;
    if (this.#keyframeAskedAt < 0) this.#keyframeRetries = 0;
    this.#keyframeAskedAt = performance.now();
    this.#sendPli();
  }

  /** Counts keyframes; asks again when the one requested does not come. */
  #watchKeyframe(payload: Buffer): void {
    this.#keyframeCodec ??= keyframeCodec(this.#track.codec?.mimeType);
    const codec = this.#keyframeCodec;
    if (codec === undefined) return;
    const now = performance.now();
    if (isKeyframeStart(codec, payload)) {
      this.keyframes++;
      this.lastKeyframeAt = now;
      this.#keyframeAskedAt = -1;
      return;
    }
    const asked = this.#keyframeAskedAt;
    if (asked < 0 || now - asked < KEYFRAME_RETRY_MS) return;
    if (this.#keyframeRetries >= KEYFRAME_RETRIES) {
      this.#keyframeAskedAt = -1;
      return;
    }
    this.#keyframeRetries++;
    this.#keyframeAskedAt = now;
    this.#sendPli();
  }

  #sendPli(): void {
    const ssrc = this.#track.ssrc;
    if (ssrc === undefined) return;
    const now = Date.now();
    const wait = this.#lastKeyframeRequest + KEYFRAME_MIN_INTERVAL_MS - now;
    if (wait > 0) {
      // Merged, not dropped: the key frame the earlier request brings may be on its way before
      // this subscriber's forwarder was attached (a viewer joining 100 ms after another never
      // got one from a publisher with a long key frame interval). One request follows at the
      // end of the interval for all requests merged into it.
      this.#pendingKeyframe ??= setTimeout(() => {
        this.#pendingKeyframe = undefined;
        this.requestKeyframe();
      }, wait);
      return;
    }
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
    clearTimeout(this.#pendingKeyframe);
    this.#pendingKeyframe = undefined;
    this.#unsubscribe();
    for (const forwarder of this.#forwarders) forwarder.close();
    this.#forwarders.clear();
    this.#history.fill(undefined);
  }
}
