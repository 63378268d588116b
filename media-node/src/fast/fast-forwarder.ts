import type { FastSubscriber } from './fast-subscriber.ts';

/** The part of werift's `RtpPacket` the forwarder reads. */
export interface WeriftRtpLike {
  header: { sequenceNumber: number; ssrc: number };
  payload: Buffer;
  serialize(): Buffer;
}

import { readSeq, readTimestamp, rewriteRtpHeader, rtpHeaderLength } from './rtp-header.ts';

/** Output memory per slab; a new slab is taken when one is used up (never rewritten). */
const DEFAULT_SLAB_BYTES = 256 * 1024;
/** Largest SRTP overhead (GCM tag) plus alignment slack. */
const MAX_OVERHEAD = 24;

/**
 * Synchronous fan-out of one decrypted RTP packet to N subscribers, bypassing werift's
 * `RTCRtpSender.sendRtp` (header clone, promises, per-packet cipher, `Buffer.concat`).
 *
 * Per subscriber: rewrite PT/SEQ/TS/SSRC in the input buffer in place, encrypt from it into fresh
 * output memory and send on werift's ICE socket. The output memory is carved out of large slabs:
 * `dgram.send` may keep a buffer until the kernel takes it, so a region is never written twice; a
 * used-up slab is left to the GC once its sends complete. The input header is restored afterwards,
 * so the caller's buffer is unchanged.
 */
export class FastForwarder {
  private readonly slabBytes: number;
  private slab: Buffer;
  private used = 0;
  private readonly savedHeader = Buffer.alloc(12);
  private lastBytes: Buffer = Buffer.alloc(0);
  private lastPayload: Buffer | undefined;
  private lastSeq = -1;
  private lastSsrc = -1;

  constructor(options: { slabBytes?: number } = {}) {
    this.slabBytes = options.slabBytes ?? DEFAULT_SLAB_BYTES;
    this.slab = Buffer.allocUnsafeSlow(this.slabBytes);
  }

  /**
   * Forwards `packet[0, len)` (plain RTP) to each subscriber; returns how many sends succeeded.
   * Malformed input is dropped (returns 0).
   */
  forward(packet: Uint8Array, len: number, subscribers: readonly FastSubscriber[]): number {
    const headerLen = rtpHeaderLength(packet, len);
    if (!headerLen || len + MAX_OVERHEAD > this.slabBytes) return 0;
    const seq = readSeq(packet);
    const ts = readTimestamp(packet);
    const now = performance.now();
    this.savedHeader.set(packet.subarray(0, 12));
    let sent = 0;
    for (const sub of subscribers) {
      const srtp = sub.context();
      if (!srtp) continue;
      const outTs = (ts + sub.tsOffset) >>> 0;
      rewriteRtpHeader(packet, sub.payloadType, (seq + sub.seqOffset) & 0xffff, outTs, sub.ssrc);
      const offset = this.reserve(len + MAX_OVERHEAD);
      const n = srtp.protectRtp(packet, len, this.slab, offset);
      if (n > 0 && sub.send(this.slab, offset, n)) {
        sent++;
        sub.payloadBytesSent += len - headerLen;
        sub.lastRtpTimestamp = outTs;
        sub.lastSentAtMs = now;
      }
    }
    packet.set(this.savedHeader, 0);
    return sent;
  }

  /**
   * Plain bytes of a werift `RtpPacket`, serialized once per incoming packet however many
   * subscribers it goes to (the media node calls each subscriber's forwarder in turn with the same
   * packet). Keyed on payload buffer, SSRC and sequence number rather than object identity alone,
   * in case werift reuses packet objects.
   */
  serialize(rtp: WeriftRtpLike): Buffer {
    const { header, payload } = rtp;
    if (
      payload !== this.lastPayload ||
      header.sequenceNumber !== this.lastSeq ||
      header.ssrc !== this.lastSsrc
    ) {
      this.lastBytes = rtp.serialize();
      this.lastPayload = payload;
      this.lastSeq = header.sequenceNumber;
      this.lastSsrc = header.ssrc;
    }
    return this.lastBytes;
  }

  private reserve(bytes: number): number {
    if (this.used + bytes > this.slabBytes) {
      this.slab = Buffer.allocUnsafeSlow(this.slabBytes);
      this.used = 0;
    }
    const offset = this.used;
    this.used += (bytes + 7) & ~7;
    return offset;
  }
}
