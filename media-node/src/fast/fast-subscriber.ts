import type { SendHistory } from '../bwe/send-history.ts';
import { type BatchDestination, type BatchSender, ipv4ToInt } from './fast-send.ts';
import type { ExtensionRewrite } from './rtp-extensions.ts';
import { writeU32 } from './rtp-header.ts';
import { createSrtpContextFromMaster } from './srtp.ts';
import type { SrtpContext } from './srtp-context.ts';
import {
  probeWeriftTransport,
  type Route,
  udpSocketFd,
  type WeriftSendPath,
} from './werift-internals.ts';

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
  /** The header extensions to write for this subscriber (none: packets carry no extension). */
  extensions?: ExtensionRewrite | undefined;
  /** RTX (RFC 4588) negotiated with this subscriber: NACKed packets are resent on it. */
  rtx?: { payloadType: number; ssrc: number } | undefined;
  /**
   * Where the send time and size of each packet with a transport-cc number go (the session's
   * bandwidth estimator, bwe/send-history.ts); none: not recorded.
   */
  twccHistory?: SendHistory | undefined;
}

/** A sender report without report blocks: header, SSRC, NTP (8), RTP ts, packets, octets. */
const SR_BYTES = 28;
/** Milliseconds from the NTP epoch (1900) to the Unix epoch (1970). */
const NTP_EPOCH_OFFSET_MS = 2_208_988_800_000;

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
  readonly extensions: ExtensionRewrite | undefined;
  readonly rtx: { payloadType: number; ssrc: number } | undefined;
  readonly twccHistory: SendHistory | undefined;
  /** The transport-cc number of the packet being assembled (-1: none). */
  #twccSeq = -1;
  /** Retransmissions sent on the RTX SSRC. */
  rtxSent = 0;
  packetsSent = 0;
  bytesSent = 0;
  /** RTP payload octets sent (the sender report's octet count, RFC 3550 6.4.1). */
  payloadBytesSent = 0;
  /** RTP timestamp of the last packet sent and when (performance.now() ms), for SRs. */
  lastRtpTimestamp = 0;
  lastSentAtMs = -1;
  /** Sender reports sent from the timer (werift's own SR loop never starts for this SSRC). */
  senderReports = 0;
  /** Packets not sent: no consent, pair changed to a non-UDP path, socket error. */
  packetsDropped = 0;
  lastDropReason = '';
  /** Why this subscriber's packets go through dgram on a batch-mode forwarder ('' if they don't). */
  batchFallback = '';
  private path: WeriftSendPath;
  /** The batch destination for the current route, or the route batching cannot use. */
  private dest: BatchDestination | NoBatch | undefined;
  private readonly srBuffer = Buffer.alloc(SR_BYTES);
  private srtp: SrtpContext;
  private readonly dtlsTransport: object;
  private closed = false;
  #rtxSeq = Math.floor(Math.random() * 0x10000);

  /** Throws `FastPathUnavailable` when werift's internals are not as expected. */
  constructor(dtlsTransport: object, options: FastSubscriberOptions) {
    const path = probeWeriftTransport(dtlsTransport);
    if (typeof path === 'string') throw new FastPathUnavailable(path);
    this.dtlsTransport = dtlsTransport;
    this.ssrc = options.ssrc >>> 0;
    this.payloadType = options.payloadType;
    this.seqOffset = options.seqOffset ?? 0;
    this.tsOffset = options.tsOffset ?? 0;
    this.extensions = options.extensions;
    this.rtx = options.rtx && {
      payloadType: options.rtx.payloadType,
      ssrc: options.rtx.ssrc >>> 0,
    };
    this.twccHistory = options.twccHistory;
    this.path = path;
    this.srtp = this.contextFor(path);
  }

  /** The next sequence number of the RTX stream (its own space, RFC 4588 4). */
  nextRtxSeq(): number {
    this.rtxSent++;
    this.#rtxSeq = (this.#rtxSeq + 1) & 0xffff;
    return this.#rtxSeq;
  }

  /**
   * The next transport-wide sequence number of the subscriber's transport (transport-cc). The
   * counter is werift's own `RTCDtlsTransport.transportSequenceNumber`, so stock senders on the
   * same transport and the fast path number one sequence together.
   */
  readonly nextTwcc = (): number => {
    const t = this.dtlsTransport as { transportSequenceNumber?: unknown };
    const prev = typeof t.transportSequenceNumber === 'number' ? t.transportSequenceNumber : 0;
    const next = (prev + 1) & 0xffff;
    t.transportSequenceNumber = next;
    this.#twccSeq = next;
    return next;
  };

  /**
   * Records the packet just assembled (if it got a transport-cc number) as sent: `size` bytes
   * of RTP at `nowMs` (performance.now()). Two typed-array stores; the estimator reads them back
   * when the subscriber's feedback arrives.
   */
  twccSent(size: number, nowMs: number): void {
    const seq = this.#twccSeq;
    if (seq < 0) return;
    this.#twccSeq = -1;
    this.twccHistory?.record(seq, nowMs, size);
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

  /**
   * Queues `buf[offset, offset + len)` (in `batch.scratch`) on `batch` for werift's ICE socket, with
   * the same per-packet consent and route checks as `send`; false if dropped. Counted as sent
   * now; `unsend` takes it back if the kernel refuses it at the flush. A route batching cannot
   * use (not udp4, no fd, IPv6 peer) sends a copy through dgram instead.
   */
  sendBatched(batch: BatchSender, offset: number, len: number): boolean {
    const route = this.path.route();
    if (typeof route === 'string') return this.drop(route) ?? false;
    let dest = this.dest;
    if (
      dest === undefined ||
      dest.socket !== route.socket ||
      dest.address !== route.address ||
      dest.port !== route.port ||
      (dest.batch && dest.state.handle !== dest.handle)
    ) {
      dest = this.destinationFor(route);
      this.dest = dest;
    }
    if (!dest.batch) {
      batch.stats.dgramFallbacks++;
      return this.send(Buffer.from(buf(batch, offset, len)), 0, len);
    }
    batch.push(this, dest, offset, len);
    this.packetsSent++;
    this.bytesSent += len;
    return true;
  }

  /** A batched datagram of `len` bytes the kernel refused: counted as dropped, not sent. */
  unsend(len: number, reason: string): void {
    this.packetsSent--;
    this.bytesSent -= len;
    this.drop(reason);
  }

  /**
   * Sends an RTCP sender report (RFC 3550 6.4.1) for this SSRC, encrypted as SRTCP with the same
   * context. werift's `RTCRtpSender.runRtcp` starts on the first stock `sendRtp` only, so on the
   * fast path nothing else sends SRs (or any SRTCP) with this SSRC: the SRTCP index sequence of
   * this context is the only one for it. The RTP timestamp is extrapolated from the last packet
   * at `clockRate`; the NTP time is computed exactly (werift's `ntpTime()` is not, PLATFORM-NOTES).
   * Returns false when nothing was sent yet or the packet could not be sent.
   */
  sendSenderReport(clockRate: number, nowMs = performance.now()): boolean {
    if (this.lastSentAtMs < 0) return false;
    const srtp = this.context();
    if (!srtp) return false;
    const sr = this.srBuffer;
    const rtpTs =
      (this.lastRtpTimestamp + Math.round(((nowMs - this.lastSentAtMs) * clockRate) / 1000)) >>> 0;
    const ntpMs = performance.timeOrigin + nowMs + NTP_EPOCH_OFFSET_MS;
    const seconds = Math.floor(ntpMs / 1000);
    sr[0] = 0x80; // V=2, P=0, RC=0
    sr[1] = 200; // SR
    sr[2] = 0;
    sr[3] = 6; // length in 32-bit words minus one
    writeU32(sr, 4, this.ssrc);
    writeU32(sr, 8, seconds >>> 0);
    writeU32(sr, 12, Math.floor(((ntpMs - seconds * 1000) / 1000) * 2 ** 32) >>> 0);
    writeU32(sr, 16, rtpTs);
    writeU32(sr, 20, this.packetsSent >>> 0);
    writeU32(sr, 24, this.payloadBytesSent >>> 0);
    const out = Buffer.allocUnsafe(SR_BYTES + srtp.rtcpOverhead);
    const n = srtp.protectRtcp(sr, SR_BYTES, out, 0);
    if (n <= 0) return false;
    const route = this.path.route();
    if (typeof route === 'string') return false;
    try {
      route.socket.send(out, 0, n, route.port, route.address);
    } catch {
      return false;
    }
    this.senderReports++;
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

  private destinationFor(route: Route): BatchDestination | NoBatch {
    const key = { socket: route.socket, address: route.address, port: route.port };
    const none: NoBatch = { ...key, batch: false };
    const ip = ipv4ToInt(route.address);
    if (ip === undefined) {
      this.batchFallback = `peer address ${route.address} is not IPv4`;
      return none;
    }
    const fd = udpSocketFd(route.socket);
    if (typeof fd === 'string') {
      this.batchFallback = fd;
      return none;
    }
    this.batchFallback = '';
    return { ...key, ...fd, ip, batch: true };
  }

  private drop(reason: string): undefined {
    this.packetsDropped++;
    this.lastDropReason = reason;
    return undefined;
  }
}

/** A route the batched sender cannot use (not udp4, no fd, IPv6 peer): dgram sends instead. */
interface NoBatch {
  batch: false;
  socket: object;
  address: string;
  port: number;
}

function buf(batch: BatchSender, offset: number, len: number): Buffer {
  return batch.scratch.subarray(offset, offset + len);
}
