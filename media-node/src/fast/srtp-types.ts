/**
 * Shared SRTP types. Profile numbers are the DTLS-SRTP protection profile ids (RFC 5764 4.1.2,
 * RFC 7714 14.2), the same numbers werift keeps in `dtls.srtp.srtpProfile`.
 */

/** AES_CM_128_HMAC_SHA1_80 (RFC 3711): what Chromium may pick. */
export const PROFILE_AES_CM_128_HMAC_SHA1_80 = 0x0001;
/** AEAD_AES_128_GCM (RFC 7714): what two werift peers negotiate. */
export const PROFILE_AEAD_AES_128_GCM = 0x0007;

export type SrtpProfile = typeof PROFILE_AES_CM_128_HMAC_SHA1_80 | typeof PROFILE_AEAD_AES_128_GCM;

export function isSrtpProfile(value: unknown): value is SrtpProfile {
  return value === PROFILE_AES_CM_128_HMAC_SHA1_80 || value === PROFILE_AEAD_AES_128_GCM;
}

/** Master salt length in bytes: 14 for AES-CM, 12 for GCM (RFC 7714 12). */
export function masterSaltLength(profile: SrtpProfile): number {
  return profile === PROFILE_AEAD_AES_128_GCM ? 12 : 14;
}

/** Bytes SRTP adds to an RTP packet: the auth tag (80-bit HMAC or 128-bit GCM tag). */
export function rtpOverhead(profile: SrtpProfile): number {
  return profile === PROFILE_AEAD_AES_128_GCM ? 16 : 10;
}

/** Bytes SRTCP adds to an RTCP packet: the tag plus the 4-byte E flag + index trailer. */
export function rtcpOverhead(profile: SrtpProfile): number {
  return rtpOverhead(profile) + 4;
}

/** Session keys for one direction, as derived by the RFC 3711 KDF (`srtp-kdf.ts`). */
export interface SrtpSessionKeys {
  profile: SrtpProfile;
  rtpKey: Uint8Array;
  /** 14 bytes for AES-CM, 12 for GCM. */
  rtpSalt: Uint8Array;
  /** 20-byte HMAC-SHA1 key; empty for GCM. */
  rtpAuthKey: Uint8Array;
  rtcpKey: Uint8Array;
  rtcpSalt: Uint8Array;
  rtcpAuthKey: Uint8Array;
}

/** Result codes of the transforms below 0. */
export const SRTP_AUTH_FAILED = -1;
export const SRTP_MALFORMED = -2;

/**
 * Per-packet transforms of one backend (native or JS) for one direction's session keys. Stateless
 * apart from cipher contexts: the ROC and SRTCP index are passed in (`SrtpContext` tracks them), so
 * both backends run the same bookkeeping and must produce identical bytes.
 *
 * `dst` may be `src` itself (in place, `dstOffset` 0) or a disjoint buffer; never a partial
 * overlap. Each returns the output length, `SRTP_AUTH_FAILED` or `SRTP_MALFORMED` (bad header or
 * `dst` too small).
 */
export interface SrtpCipher {
  protectRtp(
    src: Uint8Array,
    srcLen: number,
    roc: number,
    dst: Uint8Array,
    dstOffset: number,
  ): number;
  unprotectRtp(
    src: Uint8Array,
    srcLen: number,
    roc: number,
    dst: Uint8Array,
    dstOffset: number,
  ): number;
  protectRtcp(
    src: Uint8Array,
    srcLen: number,
    index: number,
    dst: Uint8Array,
    dstOffset: number,
  ): number;
  unprotectRtcp(src: Uint8Array, srcLen: number, dst: Uint8Array, dstOffset: number): number;
}
