import {
  BatchSender,
  type FastSendConfig,
  type FastSendStats,
  resolveFastSend,
} from './fast-send.ts';
import type { FastSubscriber } from './fast-subscriber.ts';

/** The part of werift's `RtpPacket` the forwarder reads. */
export interface WeriftRtpLike {
  header: { sequenceNumber: number; ssrc: number };
  payload: Buffer;
  serialize(): Buffer;
}

import { MAX_EXTENSION_BLOCK, writeExtensionBlock } from './rtp-extensions.ts';
import { readSeq, readTimestamp, rewriteRtpHeader, rtpHeaderLength } from './rtp-header.ts';

/** Output memory per slab; a new slab is taken when one is used up (never rewritten). */
const DEFAULT_SLAB_BYTES = 256 * 1024;
/** Largest SRTP overhead (GCM tag) plus alignment slack. */
const MAX_OVERHEAD = 24;
/** How much longer a subscriber's packet may get than the publisher's (extensions, RTX OSN). */
const MAX_GROWTH = MAX_EXTENSION_BLOCK + 2;

/**
 * Synchronous fan-out of one decrypted RTP packet to N subscribers, bypassing werift's
 * `RTCRtpSender.sendRtp` (header clone, promises, per-packet cipher, `Buffer.concat`).
 *
 * Per subscriber: rewrite PT/SEQ/TS/SSRC in the input buffer in place, encrypt from it into fresh
 * output memory and send on werift's ICE socket. The output memory is carved out of large slabs:
 * `dgram.send` may keep a buffer until the kernel takes it, so a region is never written twice; a
 * used-up slab is left to the GC once its sends complete. The input header is restored afterwards,
 * so the caller's buffer is unchanged.
 *
 * Batch send modes (fast-send.ts, the default where available): the copies are encrypted into
 * the `BatchSender`'s scratch buffer instead and sent by one native call per incoming packet
 * (or event-loop turn) for all subscribers; the slabs then only serve dgram fallbacks.
 */
export class FastForwarder {
  private readonly slabBytes: number;
  private slab: Buffer;
  private used = 0;
  private readonly savedHeader = Buffer.alloc(12);
  /** A subscriber's plain packet when its header differs in length (extensions, RTX). */
  private readonly plain: Buffer;
  private lastBytes: Buffer = Buffer.alloc(0);
  private lastPayload: Buffer | undefined;
  private lastSeq = -1;
  private lastSsrc = -1;
  /** Parsed once per serialized packet: header length (0 = malformed), RTP timestamp, time. */
  private lastHeaderLen = 0;
  private lastTs = 0;
  private lastNow = 0;
  /** The send mode in use, after falling back (and why). */
  readonly sendConfig: FastSendConfig;
  private readonly batch: BatchSender | undefined;
  private readonly dgramStats: FastSendStats;

  /** `send` defaults to `FAST_SEND` / `FAST_SEND_FLUSH` from the environment. */
  constructor(options: { slabBytes?: number; send?: FastSendConfig } = {}) {
    this.slabBytes = options.slabBytes ?? DEFAULT_SLAB_BYTES;
    this.slab = Buffer.allocUnsafeSlow(this.slabBytes);
    this.plain = Buffer.allocUnsafeSlow(this.slabBytes);
    this.sendConfig = options.send ?? resolveFastSend();
    this.batch = this.sendConfig.mode === 'dgram' ? undefined : new BatchSender(this.sendConfig);
    this.dgramStats = {
      mode: 'dgram',
      batches: 0,
      datagrams: 0,
      dgramFallbacks: 0,
      errors: { eagain: 0, enobufs: 0, other: 0 },
    };
  }

  /** Batch counters (all zero in dgram mode). */
  sendStats(): Readonly<FastSendStats> {
    return this.batch?.stats ?? this.dgramStats;
  }

  /** Sends what is queued now instead of at the end of the tick (batch modes; no-op otherwise). */
  flush(): void {
    this.batch?.flush();
  }

  /**
   * Forwards `packet[0, len)` (plain RTP) to each subscriber; returns how many sends succeeded.
   * Malformed input is dropped (returns 0).
   */
  forward(packet: Uint8Array, len: number, subscribers: readonly FastSubscriber[]): number {
    const headerLen = rtpHeaderLength(packet, len);
    if (!headerLen || len + MAX_OVERHEAD + MAX_GROWTH > this.slabBytes) return 0;
    const seq = readSeq(packet);
    const ts = readTimestamp(packet);
    const now = performance.now();
    this.savedHeader.set(packet.subarray(0, 12));
    let sent = 0;
    for (const sub of subscribers) {
      if (this.one(packet, len, headerLen, seq, ts, now, sub)) sent++;
    }
    packet.set(this.savedHeader, 0);
    return sent;
  }

  /**
   * Forwards a werift `RtpPacket` to one subscriber (the media node's per-subscriber seam): the
   * packet is serialized and its header parsed once for all its subscribers, and the serialized
   * bytes are ours, so the header is rewritten per subscriber without saving and restoring it.
   * Returns whether it was sent (or queued).
   */
  forwardRtp(rtp: WeriftRtpLike, sub: FastSubscriber): boolean {
    const bytes = this.serialize(rtp);
    const headerLen = this.lastHeaderLen;
    if (!headerLen) return false;
    return this.one(bytes, bytes.length, headerLen, this.lastSeq, this.lastTs, this.lastNow, sub);
  }

  /**
   * Rewrites the header for `sub`, encrypts and sends (or queues). Without header extensions to
   * write, the input header is rewritten in place (and stays so); with them, the subscriber's
   * packet is assembled in `plain` (its extension block differs in ids, mid and length).
   */
  private one(
    packet: Uint8Array,
    len: number,
    headerLen: number,
    seq: number,
    ts: number,
    now: number,
    sub: FastSubscriber,
  ): boolean {
    const srtp = sub.context();
    if (!srtp) return false;
    const outTs = (ts + sub.tsOffset) >>> 0;
    let src = packet;
    let srcLen = len;
    if (sub.extensions) {
      srcLen = this.assemble(packet, len, headerLen, sub, now, -1);
      src = this.plain;
      sub.twccSent(srcLen, now);
    }
    rewriteRtpHeader(src, sub.payloadType, (seq + sub.seqOffset) & 0xffff, outTs, sub.ssrc);
    const ok = this.protectAndSend(src, srcLen, sub);
    if (ok) {
      sub.payloadBytesSent += len - headerLen;
      sub.lastRtpTimestamp = outTs;
      sub.lastSentAtMs = now;
    }
    return ok;
  }

  /**
   * Resends a packet `sub` NACKed (from the track's history): as RTX (RFC 4588 4: own SSRC,
   * sequence space and payload type, the original sequence number first in the payload) when
   * the subscriber negotiated it, else the same packet again. Returns whether it was sent.
   */
  resend(rtp: WeriftRtpLike, sub: FastSubscriber): boolean {
    const rtx = sub.rtx;
    if (!rtx) return this.forwardRtp(rtp, sub);
    const bytes = this.serialize(rtp);
    const headerLen = this.lastHeaderLen;
    if (!headerLen || !sub.context()) return false;
    const osn = (this.lastSeq + sub.seqOffset) & 0xffff;
    const now = performance.now();
    const n = this.assemble(bytes, bytes.length, headerLen, sub, now, osn);
    sub.twccSent(n, now);
    const ts = (this.lastTs + sub.tsOffset) >>> 0;
    rewriteRtpHeader(this.plain, rtx.payloadType, sub.nextRtxSeq(), ts, rtx.ssrc);
    return this.protectAndSend(this.plain, n, sub);
  }

  /**
   * `packet` as `sub` gets it, into `plain`: fixed header and CSRCs, the subscriber's extension
   * block (X bit set or cleared), the RTX original sequence number when `osn >= 0`, the payload.
   * Returns its length.
   */
  private assemble(
    packet: Uint8Array,
    len: number,
    headerLen: number,
    sub: FastSubscriber,
    now: number,
    osn: number,
  ): number {
    const plain = this.plain;
    const fixed = 12 + 4 * (packet[0]! & 0x0f);
    plain.set(packet.subarray(0, fixed), 0);
    const rw = sub.extensions;
    const extLen = rw
      ? writeExtensionBlock(
          packet,
          len,
          rw,
          plain,
          fixed,
          performance.timeOrigin + now,
          sub.nextTwcc,
        )
      : 0;
    plain[0] = extLen ? plain[0]! | 0x10 : plain[0]! & ~0x10;
    let w = fixed + extLen;
    if (osn >= 0) {
      plain[w++] = osn >>> 8;
      plain[w++] = osn;
    }
    plain.set(packet.subarray(headerLen, len), w);
    return w + len - headerLen;
  }

  private protectAndSend(src: Uint8Array, len: number, sub: FastSubscriber): boolean {
    const srtp = sub.context();
    if (!srtp) return false;
    const batch = this.batch;
    if (batch) {
      const offset = batch.reserve(len + MAX_OVERHEAD);
      const n = srtp.protectRtp(src, len, batch.scratch, offset);
      return n > 0 && sub.sendBatched(batch, offset, n);
    }
    const offset = this.reserve(len + MAX_OVERHEAD);
    const n = srtp.protectRtp(src, len, this.slab, offset);
    return n > 0 && sub.send(this.slab, offset, n);
  }

  /**
   * Plain bytes of a werift `RtpPacket`, serialized once per incoming packet however many
   * subscribers it goes to (the media node calls each subscriber's forwarder in turn with the same
   * packet). Keyed on payload buffer, SSRC and sequence number rather than object identity alone,
   * in case werift reuses packet objects. `forwardRtp` rewrites the header of these bytes: use
   * `lastSeq` / `lastTs` for the publisher's values, not the bytes.
   */
  serialize(rtp: WeriftRtpLike): Buffer {
    const { header, payload } = rtp;
    if (
      payload !== this.lastPayload ||
      header.sequenceNumber !== this.lastSeq ||
      header.ssrc !== this.lastSsrc
    ) {
      const bytes = rtp.serialize();
      this.lastBytes = bytes;
      this.lastPayload = payload;
      this.lastSeq = header.sequenceNumber;
      this.lastSsrc = header.ssrc;
      const headerLen = rtpHeaderLength(bytes, bytes.length);
      this.lastHeaderLen =
        headerLen && bytes.length + MAX_OVERHEAD + MAX_GROWTH <= this.slabBytes ? headerLen : 0;
      this.lastTs = headerLen ? readTimestamp(bytes) : 0;
      this.lastNow = performance.now();
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
