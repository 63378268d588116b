/**
 * Counts what a benchmark receiver gets from the node, decrypting every RTP packet for real.
 *
 * Why a tap instead of werift's receive pipeline: the harness hosts hundreds of receivers on one
 * core, and werift's per-packet receive path (a new Node cipher per packet, `RtpPacket` objects,
 * jitter and NACK bookkeeping) would make the harness the bottleneck long before the node. The
 * receivers stay real werift peers (ICE, DTLS, SDP, RTCP all werift); only incoming SRTP is taken
 * off werift's ICE connection and decrypted with the SRTP keys werift's DTLS exported, so a
 * packet counts as received only if it authenticates and decrypts. RTCP still goes to werift.
 * Consequence: receivers send no NACKs and no receiver reports for RTP (said in the results).
 *
 * werift 0.25.2 internals used: `pc.dtlsTransports[0].srtp.config.{profile, keys}` (the SrtpSession
 * built after the handshake) and `iceTransport.connection.onData` (an rx.mini Event read on every
 * datagram as `this.onData.execute(data)`, so replacing the property intercepts it; the DTLS
 * transport's own subscription stays on the original Event, to which RTCP and DTLS are passed).
 */
import type { RTCPeerConnection } from 'werift';
import { rtpHeaderLength } from '../../media-node/src/fast/rtp-header.ts';
import { createSrtpContextFromMaster } from '../../media-node/src/fast/srtp.ts';
import { isSrtpProfile } from '../../media-node/src/fast/srtp-types.ts';
import { nowMs, readProbe } from './probe-payload.ts';

/** Totals over all receivers of a step; packets count only when sent inside the window. */
export class ReceiveTally {
  windowStartMs = Number.POSITIVE_INFINITY;
  windowEndMs = Number.NEGATIVE_INFINITY;
  received = 0;
  authFailures = 0;
  readonly delaysMs: number[] = [];
  #n = 0;

  open(startMs: number, endMs: number): void {
    this.windowStartMs = startMs;
    this.windowEndMs = endMs;
    this.received = 0;
    this.authFailures = 0;
    this.delaysMs.length = 0;
  }

  record(sentAtMs: number, receivedAtMs: number): boolean {
    if (sentAtMs < this.windowStartMs || sentAtMs >= this.windowEndMs) return false;
    this.received++;
    // One delay sample in 4 keeps the array small at 100k pkt/s.
    if ((this.#n++ & 3) === 0) this.delaysMs.push(receivedAtMs - sentAtMs);
    return true;
  }
}

interface WeriftEvent {
  execute(data: Buffer): void;
}
interface DtlsLike {
  srtp?: { config?: { profile?: unknown; keys?: Record<string, unknown> } };
  iceTransport?: { connection?: { onData: WeriftEvent } };
}

/** Per-receiver state: which (publisher, kind) streams arrived, and in-window counts. */
export class RtpTap {
  readonly seen = new Set<number>();
  inWindow = 0;
  /** In-window packets per publisher index (reset with `inWindow`). */
  readonly inWindowBy: number[] = [];
  authFailures = 0;

  /** Installs the tap on a connected peer; throws when werift's internals are not as expected. */
  constructor(pc: RTCPeerConnection, tally: ReceiveTally) {
    const dtls = pc.dtlsTransports[0] as unknown as DtlsLike | undefined;
    const config = dtls?.srtp?.config;
    const connection = dtls?.iceTransport?.connection;
    const key = config?.keys?.remoteMasterKey;
    const salt = config?.keys?.remoteMasterSalt;
    if (!connection || !isSrtpProfile(config?.profile) || !Buffer.isBuffer(key)) {
      throw new Error('werift internals changed: cannot tap SRTP');
    }
    const srtp = createSrtpContextFromMaster(config.profile, key, salt as Buffer);
    const plain = Buffer.allocUnsafe(2048);
    const original = connection.onData;
    connection.onData = {
      execute: (data: Buffer) => {
        // RFC 7983 demux: RTP/RTCP start 128..191; RTCP packet types 192..223 (RFC 5761).
        const b0 = data[0] ?? 0;
        const pt = (data[1] ?? 0) & 0x7f;
        if (b0 < 128 || b0 > 191 || (pt >= 64 && pt <= 95) || data.length > plain.length) {
          original.execute(data);
          return;
        }
        const n = srtp.unprotectRtp(data, data.length, plain, 0);
        if (n < 0) {
          this.authFailures++;
          tally.authFailures++;
          return;
        }
        const h = rtpHeaderLength(plain, n);
        const probe = h ? readProbe(plain, h, n) : undefined;
        if (!probe) return;
        this.seen.add(probe.publisher * 2 + probe.kind);
        if (tally.record(probe.sentAtMs, nowMs())) {
          this.inWindow++;
          this.inWindowBy[probe.publisher] = (this.inWindowBy[probe.publisher] ?? 0) + 1;
        }
      },
    };
  }
}
