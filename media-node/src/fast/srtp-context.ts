import { readSeq, readSsrc } from './rtp-header.ts';
import { commitRoc, guessRoc, type RocState } from './srtp-roc.ts';
import { rtcpOverhead, rtpOverhead, type SrtpCipher, type SrtpProfile } from './srtp-types.ts';

/**
 * One direction of an SRTP session (werift's `localContext` or `remoteContext` equivalent): the
 * backend's transforms plus the per-SSRC roll-over counters and SRTCP indexes. Create it with
 * `createSrtpContext` (srtp.ts), which picks the backend.
 */
export class SrtpContext {
  readonly profile: SrtpProfile;
  /** Bytes `protectRtp` adds. */
  readonly rtpOverhead: number;
  /** Bytes `protectRtcp` adds. */
  readonly rtcpOverhead: number;
  private readonly cipher: SrtpCipher;
  private readonly rtpStates = new Map<number, RocState>();
  private readonly rtcpIndexes = new Map<number, number>();
  /** The state `rocState` returned last (the object in `rtpStates`), cleared when replaced. */
  private lastSsrc = -1;
  private lastState: RocState | undefined;

  constructor(profile: SrtpProfile, cipher: SrtpCipher) {
    this.profile = profile;
    this.cipher = cipher;
    this.rtpOverhead = rtpOverhead(profile);
    this.rtcpOverhead = rtcpOverhead(profile);
  }

  /**
   * Encrypts the RTP packet in `src[0, srcLen)` into `dst` at `dstOffset` (in place when `dst` is
   * `src`; room for `srcLen + rtpOverhead` needed) and returns the SRTP length, or < 0 on a
   * malformed packet. Tracks the ROC of the packet's SSRC.
   */
  protectRtp(src: Uint8Array, srcLen: number, dst: Uint8Array, dstOffset = 0): number {
    if (srcLen < 12) return -2;
    const seq = readSeq(src);
    const s = this.rocState(readSsrc(src), seq);
    const roc = guessRoc(s, seq);
    commitRoc(s, seq, roc);
    return this.cipher.protectRtp(src, srcLen, roc, dst, dstOffset);
  }

  /**
   * Decrypts and authenticates; returns the RTP length, -1 when authentication fails (the ROC
   * state is then left unchanged), -2 when malformed. No replay window: werift keeps none either.
   */
  unprotectRtp(src: Uint8Array, srcLen: number, dst: Uint8Array, dstOffset = 0): number {
    if (srcLen < 12) return -2;
    const seq = readSeq(src);
    const s = this.rocState(readSsrc(src), seq);
    const roc = guessRoc(s, seq);
    const n = this.cipher.unprotectRtp(src, srcLen, roc, dst, dstOffset);
    if (n >= 0) commitRoc(s, seq, roc);
    return n;
  }

  /** Encrypts a (compound) RTCP packet; the SRTCP index counts per sender SSRC from 1. */
  protectRtcp(src: Uint8Array, srcLen: number, dst: Uint8Array, dstOffset = 0): number {
    if (srcLen < 8) return -2;
    const ssrc = readSsrc(src, 4);
    const index = ((this.rtcpIndexes.get(ssrc) ?? 0) + 1) & 0x7fffffff;
    this.rtcpIndexes.set(ssrc, index);
    return this.cipher.protectRtcp(src, srcLen, index, dst, dstOffset);
  }

  unprotectRtcp(src: Uint8Array, srcLen: number, dst: Uint8Array, dstOffset = 0): number {
    return this.cipher.unprotectRtcp(src, srcLen, dst, dstOffset);
  }

  /**
   * Seeds the ROC of `ssrc`, e.g. from werift's `srtpSSRCStates` when the fast path takes over
   * an SSRC the stock path has been sending on (a wrong ROC means every packet fails to decrypt).
   */
  setRoc(ssrc: number, roc: number, lastSeq: number): void {
    this.rtpStates.set(ssrc, { roc: roc >>> 0, lastSeq });
    this.lastState = undefined;
  }

  /** The ROC state of `ssrc`, or undefined before its first packet. */
  getRoc(ssrc: number): Readonly<RocState> | undefined {
    return this.rtpStates.get(ssrc);
  }

  /** Forgets an SSRC (its subscriber left) so the maps stay bounded. */
  forget(ssrc: number): void {
    this.rtpStates.delete(ssrc);
    this.rtcpIndexes.delete(ssrc);
    this.lastState = undefined;
  }

  private rocState(ssrc: number, firstSeq: number): RocState {
    // A sending context nearly always has one SSRC: skip the map lookup for it.
    if (ssrc === this.lastSsrc && this.lastState !== undefined) return this.lastState;
    let s = this.rtpStates.get(ssrc);
    if (!s) {
      s = { roc: 0, lastSeq: firstSeq };
      this.rtpStates.set(ssrc, s);
    }
    this.lastSsrc = ssrc;
    this.lastState = s;
    return s;
  }
}
