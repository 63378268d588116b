/**
 * One received encoding of a published track (a simulcast layer, or the only encoding): its
 * SSRC (learnt from its packets: rid-based simulcast announces none), its packet history, when
 * it last received, and keyframes: which packets start one, and asking the publisher for one on
 * this encoding's SSRC (merged, retried).
 */
import {
  PictureLossIndication,
  type RTCRtpReceiver,
  RtcpPayloadSpecificFeedback,
  type RtpPacket,
} from 'werift';
import type { ErrorReporter } from '../util/guard.ts';
import { isKeyframeStart, type KeyframeCodec } from './keyframe.ts';

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
 * Packets kept per encoding, by sequence number (power of two): ~10 s of video at 50 pkt/s. They
 * answer fast-path subscribers' NACKs and recognise duplicates from the publisher.
 */
export const HISTORY_SIZE = 512;
/**
 * A keyframe asked for and not seen this long after is asked for again (the PLI or the
 * keyframe's first packet was lost; without this, a joining subscriber froze until the next
 * periodic keyframe), up to `KEYFRAME_RETRIES` times.
 */
const KEYFRAME_RETRY_MS = 1_000;
const KEYFRAME_RETRIES = 3;

export interface TrackLayerOptions {
  /** The publisher's rid for this encoding (undefined: not simulcast). */
  rid: string | undefined;
  /** The SSRC the publisher's SDP announced, if any. */
  ssrc: number | undefined;
  receiver: RTCRtpReceiver;
  report: ErrorReporter;
}

export class TrackLayer {
  readonly rid: string | undefined;
  /** The publisher's SSRC for this encoding (from its first packet when not announced). */
  ssrc: number | undefined;
  /** `performance.now()` of the last packet (-1: none yet). */
  lastAt = -1;
  /** Keyframes received (first packets). */
  keyframes = 0;
  /** `performance.now()` of the last keyframe's first packet (-1: none yet). */
  lastKeyframeAt = -1;
  duplicatesDropped = 0;
  readonly #history: Array<RtpPacket | undefined> = new Array(HISTORY_SIZE);
  readonly #receiver: RTCRtpReceiver;
  readonly #report: ErrorReporter;
  /** When the keyframe asked for was asked (-1: none pending), and the retries made. */
  #keyframeAskedAt = -1;
  #keyframeRetries = 0;
  #lastKeyframeRequest = 0;
  /** The request merged into the end of the current interval, if one is waiting. */
  #pendingKeyframe: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(o: TrackLayerOptions) {
    this.rid = o.rid;
    this.ssrc = o.ssrc;
    this.#receiver = o.receiver;
    this.#report = o.report;
  }

  /**
   * Records a packet from the publisher; false for a duplicate of one already forwarded. werift's
   * NACK handler asks the publisher again every 5 ms (up to 10 times) and hands every copy that
   * arrives to onReceiveRtp: without this check each duplicate went to every subscriber. A packet
   * that was lost before reaching us is not in the history and is forwarded (nobody has it).
   */
  accept(rtp: RtpPacket, now: number): boolean {
    const { sequenceNumber: seq, timestamp } = rtp.header;
    const slot = seq & (HISTORY_SIZE - 1);
    const seen = this.#history[slot];
    if (seen && seen.header.sequenceNumber === seq && seen.header.timestamp === timestamp) {
      this.duplicatesDropped++;
      return false;
    }
    this.#history[slot] = rtp;
    this.ssrc ??= rtp.header.ssrc;
    this.lastAt = now;
    return true;
  }

  /** The packet with publisher sequence number `seq`, if still in the history. */
  recent(seq: number): RtpPacket | undefined {
    const p = this.#history[seq & (HISTORY_SIZE - 1)];
    return p?.header.sequenceNumber === seq ? p : undefined;
  }

  /**
   * Whether `payload` starts a keyframe (undefined codec: every packet may start a stream); counts
   * keyframes and asks again when the one requested does not come.
   */
  watchKeyframe(codec: KeyframeCodec | undefined, payload: Buffer, now: number): boolean {
    if (codec === undefined) return true;
    if (isKeyframeStart(codec, payload)) {
      this.keyframes++;
      this.lastKeyframeAt = now;
      this.#keyframeAskedAt = -1;
      return true;
    }
    const asked = this.#keyframeAskedAt;
    if (asked < 0 || now - asked < KEYFRAME_RETRY_MS) return false;
    if (this.#keyframeRetries >= KEYFRAME_RETRIES) {
      this.#keyframeAskedAt = -1;
      return false;
    }
    this.#keyframeRetries++;
    this.#keyframeAskedAt = now;
    this.#sendPli();
    return false;
  }

  /** Asks the publisher for a keyframe of this encoding (werift does not relay PLIs itself). */
  requestKeyframe(): void {
    if (this.#closed) return;
    if (this.#keyframeAskedAt < 0) this.#keyframeRetries = 0;
    this.#keyframeAskedAt = performance.now();
    this.#sendPli();
  }

  #sendPli(): void {
    const ssrc = this.ssrc;
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
    this.#history.fill(undefined);
  }
}
