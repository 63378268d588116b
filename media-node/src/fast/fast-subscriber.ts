import { createSrtpContextFromMaster } from './srtp.ts';
import type { SrtpContext } from './srtp-context.ts';
import { probeWeriftTransport, type WeriftSendPath } from './werift-internals.ts';

/** Per-subscriber rewrite of one forwarded stream. */
export interface FastSubscriberOptions {
  /** Outgoing SSRC: werift's `transceiver.sender.ssrc`, which the subscriber's SDP announced. */
  ssrc: number;
  /** Payload type negotiated with this subscriber for the codec. */
  payloadType: number;
  /** Added to the publisher's sequence number (mod 2^16), e.g. to continue after a switch. */
  seqOffset?: number;
  /** Added to the publisher's RTP timestamp (mod 2^32). */
  tsOffset?: number;
}

/** Why a subscriber cannot use the fast path; the caller keeps the stock path for it. */
export class FastPathUnavailable extends Error {
  override readonly name = 'FastPathUnavailable';
}

/**
 * One subscriber's outgoing stream on the fast path: its SRTP context (keys from werift's DTLS,
 * one reused cipher context), header rewrite values and counters. The forwarder owns the SSRC's
 * sequence space from here on: the stock sender must not send RTP on the same SSRC, or the two
 * would reuse SRTP keystream for the same packet index.
 */
export class FastSubscriber {
  readonly ssrc: number;
  readonly payloadType: number;
  seqOffset: number;
  tsOffset: number;
  packetsSent = 0;
  bytesSent = 0;
  /** Packets not sent: no consent, pair changed to a non-UDP path, socket error. */
  packetsDropped = 0;
  lastDropReason = '';
  private path: WeriftSendPath;
  private srtp: SrtpContext;
  private readonly dtlsTransport: object;
  private closed = false;

  /** Throws `FastPathUnavailable` when werift's internals are not as expected. */
  constructor(dtlsTransport: object, options: FastSubscriberOptions) {
    const path = probeWeriftTransport(dtlsTransport);
    if (typeof path === 'string') throw new FastPathUnavailable(path);
    this.dtlsTransport = dtlsTransport;
    this.ssrc = options.ssrc >>> 0;
    this.payloadType = options.payloadType;
    this.seqOffset = options.seqOffset ?? 0;
    this.tsOffset = options.tsOffset ?? 0;
    this.path = path;
    this.srtp = this.contextFor(path);
  }

  /** The context to encrypt with now; rebuilt if werift replaced its SRTP session (re-keying). */
  context(): SrtpContext | undefined {
    if (this.closed) return undefined;
    const current = (this.dtlsTransport as { srtp?: unknown }).srtp;
    if (current !== this.path.srtpSession) {
      const path = probeWeriftTransport(this.dtlsTransport);
      if (typeof path === 'string') return this.drop(path);
      this.path = path;
      this.srtp = this.contextFor(path);
    }
    return this.srtp;
  }

  /** Sends `len` bytes of `buf` from `offset` on werift's ICE socket; false if dropped. */
  send(buf: Uint8Array, offset: number, len: number): boolean {
    const route = this.path.route();
    if (typeof route === 'string') return this.drop(route) ?? false;
    try {
      route.socket.send(buf, offset, len, route.port, route.address);
    } catch (error) {
      return this.drop(error instanceof Error ? error.message : String(error)) ?? false;
    }
    this.packetsSent++;
    this.bytesSent += len;
    return true;
  }

  /** ROC state of this stream's SSRC (to hand the SSRC over to another sender object). */
  rocState(): { roc: number; lastSeq: number } | undefined {
    const s = this.srtp.getRoc(this.ssrc);
    return s && { roc: s.roc, lastSeq: s.lastSeq };
  }

  /**
   * Continues the ROC of a previous sender on the same SSRC and keys: a fresh context would start
   * at ROC 0, and after a wrap the subscriber would reject every packet.
   */
  seedRoc(state: { roc: number; lastSeq: number }): void {
    this.srtp.setRoc(this.ssrc, state.roc, state.lastSeq);
  }

  /** Idempotent; afterwards every packet for this subscriber is dropped. */
  close(): void {
    this.closed = true;
  }

  private contextFor(path: WeriftSendPath): SrtpContext {
    const ctx = createSrtpContextFromMaster(path.profile, path.masterKey, path.masterSalt);
    // Continue werift's roll-over counter if the stock path already sent on this SSRC.
    const stock = path.stockRoc(this.ssrc);
    if (stock) ctx.setRoc(this.ssrc, stock.roc, stock.lastSeq);
    return ctx;
  }

  private drop(reason: string): undefined {
    this.packetsDropped++;
    this.lastDropReason = reason;
    return undefined;
  }
}
