import {
  type Cipheriv,
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  type KeyObject,
  timingSafeEqual,
} from 'node:crypto';
import { readSsrc, rtpHeaderLength, writeU32 } from './rtp-header.ts';
import {
  PROFILE_AEAD_AES_128_GCM,
  SRTP_AUTH_FAILED,
  SRTP_MALFORMED,
  type SrtpCipher,
  type SrtpSessionKeys,
} from './srtp-types.ts';

const GCM_TAG = 16;
const HMAC_TAG = 10;

/** One direction's keys for RTP or RTCP, as node:crypto objects (imported once, not per packet). */
interface JsKeys {
  key: KeyObject;
  salt: Uint8Array;
  auth: KeyObject | undefined;
  /** AES-CM only: a long-lived AES-ECB cipher that turns counter blocks into keystream. */
  ecb: Cipheriv | undefined;
}

/** Counter blocks per packet are numbered in the IV's low 16 bits (RFC 3711 4.1.1). */
const MAX_CTR_BLOCKS = 0x10000;

/**
 * Fallback SRTP transforms on node:crypto, used when the native addon is not built. Node cannot
 * re-IV an existing cipher, so GCM still creates one per packet (as werift does). AES-CM avoids
 * that: its keystream is AES(IV + i), so one long-lived AES-ECB cipher per key encrypts the
 * packet's counter blocks and the payload is XORed in JS. Also saved over werift: the header
 * object, `Buffer.concat` and the key import per packet. The IV scratch buffers are reused (node
 * copies the IV into OpenSSL when a cipher is created).
 */
export class JsSrtpCipher implements SrtpCipher {
  private readonly gcm: boolean;
  private readonly rtp: JsKeys;
  private readonly rtcp: JsKeys;
  private readonly iv12 = Buffer.alloc(12);
  private readonly iv16 = Buffer.alloc(16);
  private readonly word = Buffer.alloc(4);
  private readonly aad = Buffer.alloc(12);
  private counters = Buffer.alloc(2048);

  constructor(keys: SrtpSessionKeys) {
    this.gcm = keys.profile === PROFILE_AEAD_AES_128_GCM;
    const jsKeys = (key: Uint8Array, salt: Uint8Array, auth: Uint8Array): JsKeys => {
      if (this.gcm) return { key: createSecretKey(key), salt, auth: undefined, ecb: undefined };
      const ecb = createCipheriv('aes-128-ecb', key, null);
      ecb.setAutoPadding(false);
      return { key: createSecretKey(key), salt, auth: createSecretKey(auth), ecb };
    };
    this.rtp = jsKeys(keys.rtpKey, keys.rtpSalt, keys.rtpAuthKey);
    this.rtcp = jsKeys(keys.rtcpKey, keys.rtcpSalt, keys.rtcpAuthKey);
  }

  protectRtp(src: Uint8Array, srcLen: number, roc: number, dst: Uint8Array, dstOffset: number) {
    const h = rtpHeaderLength(src, srcLen);
    const total = srcLen + (this.gcm ? GCM_TAG : HMAC_TAG);
    if (!h || dst.length - dstOffset < total) return SRTP_MALFORMED;
    const header = src.subarray(0, h);
    const payload = src.subarray(h, srcLen);
    const ssrc = readSsrc(src);
    const seq = (src[2]! << 8) | src[3]!;
    if (this.gcm) {
      const c = createCipheriv(
        'aes-128-gcm',
        this.rtp.key,
        this.gcmIv(this.rtp.salt, ssrc, roc, seq),
      );
      c.setAAD(header);
      const enc = c.update(payload);
      c.final();
      dst.set(header, dstOffset);
      dst.set(enc, dstOffset + h);
      dst.set(c.getAuthTag(), dstOffset + srcLen);
    } else {
      const iv = this.ctrIv(this.rtp.salt, ssrc, roc, seq);
      if (!this.ctrXor(this.rtp, iv, src, h, srcLen, dst, dstOffset + h)) return SRTP_MALFORMED;
      dst.set(header, dstOffset);
      writeU32(this.word, 0, roc);
      const tag = createHmac('sha1', this.rtp.auth!)
        .update(dst.subarray(dstOffset, dstOffset + srcLen))
        .update(this.word)
        .digest();
      dst.set(tag.subarray(0, HMAC_TAG), dstOffset + srcLen);
    }
    return total;
  }

  unprotectRtp(src: Uint8Array, srcLen: number, roc: number, dst: Uint8Array, dstOffset: number) {
    const tagLen = this.gcm ? GCM_TAG : HMAC_TAG;
    if (srcLen < tagLen) return SRTP_MALFORMED;
    const body = srcLen - tagLen;
    const h = rtpHeaderLength(src, body);
    if (!h || dst.length - dstOffset < body) return SRTP_MALFORMED;
    const header = src.subarray(0, h);
    const ssrc = readSsrc(src);
    const seq = (src[2]! << 8) | src[3]!;
    if (this.gcm) {
      const d = createDecipheriv(
        'aes-128-gcm',
        this.rtp.key,
        this.gcmIv(this.rtp.salt, ssrc, roc, seq),
      );
      d.setAAD(header);
      d.setAuthTag(src.subarray(body, srcLen));
      const plain = d.update(src.subarray(h, body));
      try {
        d.final();
      } catch {
        return SRTP_AUTH_FAILED;
      }
      dst.set(header, dstOffset);
      dst.set(plain, dstOffset + h);
      return body;
    }
    writeU32(this.word, 0, roc);
    const tag = createHmac('sha1', this.rtp.auth!)
      .update(src.subarray(0, body))
      .update(this.word)
      .digest()
      .subarray(0, HMAC_TAG);
    if (!timingSafeEqual(tag, src.subarray(body, srcLen))) return SRTP_AUTH_FAILED;
    const iv = this.ctrIv(this.rtp.salt, ssrc, roc, seq);
    if (!this.ctrXor(this.rtp, iv, src, h, body, dst, dstOffset + h)) return SRTP_MALFORMED;
    dst.set(header, dstOffset);
    return body;
  }

  protectRtcp(src: Uint8Array, srcLen: number, index: number, dst: Uint8Array, dstOffset: number) {
    const total = srcLen + 4 + (this.gcm ? GCM_TAG : HMAC_TAG);
    if (srcLen < 8 || dst.length - dstOffset < total) return SRTP_MALFORMED;
    const ssrc = readSsrc(src, 4);
    const idx = index & 0x7fffffff;
    const eIndex = (idx | 0x80000000) >>> 0;
    const header = src.subarray(0, 8);
    const body = src.subarray(8, srcLen);
    if (this.gcm) {
      this.aad.set(header);
      writeU32(this.aad, 8, eIndex);
      const c = createCipheriv('aes-128-gcm', this.rtcp.key, this.gcmRtcpIv(ssrc, idx));
      c.setAAD(this.aad);
      const enc = c.update(body);
      c.final();
      dst.set(header, dstOffset);
      dst.set(enc, dstOffset + 8);
      dst.set(c.getAuthTag(), dstOffset + srcLen);
      writeU32(dst, dstOffset + srcLen + GCM_TAG, eIndex);
    } else {
      const iv = this.ctrIv(this.rtcp.salt, ssrc, idx >>> 16, idx & 0xffff);
      if (!this.ctrXor(this.rtcp, iv, src, 8, srcLen, dst, dstOffset + 8)) return SRTP_MALFORMED;
      dst.set(header, dstOffset);
      writeU32(dst, dstOffset + srcLen, eIndex);
      const tag = createHmac('sha1', this.rtcp.auth!)
        .update(dst.subarray(dstOffset, dstOffset + srcLen + 4))
        .digest();
      dst.set(tag.subarray(0, HMAC_TAG), dstOffset + srcLen + 4);
    }
    return total;
  }

  unprotectRtcp(src: Uint8Array, srcLen: number, dst: Uint8Array, dstOffset: number) {
    const tagLen = this.gcm ? GCM_TAG : HMAC_TAG;
    if (srcLen < 8 + 4 + tagLen) return SRTP_MALFORMED;
    const plainLen = srcLen - 4 - tagLen;
    if (dst.length - dstOffset < plainLen) return SRTP_MALFORMED;
    const eAt = this.gcm ? srcLen - 4 : plainLen;
    const encrypted = (src[eAt]! & 0x80) !== 0;
    const idx = readSsrc(src, eAt) & 0x7fffffff;
    const ssrc = readSsrc(src, 4);
    if (this.gcm) {
      // E = 0 (RFC 7714 9.3): everything before the tag is authenticated, nothing encrypted.
      const aadLen = encrypted ? 8 : plainLen;
      const d = createDecipheriv('aes-128-gcm', this.rtcp.key, this.gcmRtcpIv(ssrc, idx));
      d.setAAD(Buffer.concat([src.subarray(0, aadLen), src.subarray(eAt, srcLen)]));
      d.setAuthTag(src.subarray(plainLen, plainLen + GCM_TAG));
      const plain = d.update(src.subarray(aadLen, plainLen));
      try {
        d.final();
      } catch {
        return SRTP_AUTH_FAILED;
      }
      dst.set(src.subarray(0, aadLen), dstOffset);
      dst.set(plain, dstOffset + aadLen);
      return plainLen;
    }
    const tag = createHmac('sha1', this.rtcp.auth!)
      .update(src.subarray(0, plainLen + 4))
      .digest()
      .subarray(0, HMAC_TAG);
    if (!timingSafeEqual(tag, src.subarray(plainLen + 4, srcLen))) return SRTP_AUTH_FAILED;
    if (!encrypted) {
      dst.set(src.subarray(0, plainLen), dstOffset);
      return plainLen;
    }
    const iv = this.ctrIv(this.rtcp.salt, ssrc, idx >>> 16, idx & 0xffff);
    if (!this.ctrXor(this.rtcp, iv, src, 8, plainLen, dst, dstOffset + 8)) return SRTP_MALFORMED;
    dst.set(src.subarray(0, 8), dstOffset);
    return plainLen;
  }

  /**
   * AES-CM: dst[at..] = src[from, to) XOR AES(iv + i), i = 0, 1, ... in the IV's low 16 bits.
   * Safe in place (each byte is read before it is written).
   */
  private ctrXor(
    keys: JsKeys,
    iv: Buffer,
    src: Uint8Array,
    from: number,
    to: number,
    dst: Uint8Array,
    at: number,
  ): boolean {
    const len = to - from;
    const blocks = (len + 15) >>> 4;
    if (blocks > MAX_CTR_BLOCKS) return false;
    if (this.counters.length < blocks * 16) this.counters = Buffer.alloc(blocks * 32);
    const ctr = this.counters;
    for (let b = 0, o = 0; b < blocks; b++, o += 16) {
      for (let k = 0; k < 14; k++) ctr[o + k] = iv[k]!;
      ctr[o + 14] = b >>> 8;
      ctr[o + 15] = b;
    }
    const ks = keys.ecb!.update(ctr.subarray(0, blocks * 16));
    for (let i = 0; i < len; i++) dst[at + i] = src[from + i]! ^ ks[i]!;
    return true;
  }

  /** RFC 7714 8.1: (00 00 || SSRC || ROC || SEQ) XOR salt. */
  private gcmIv(salt: Uint8Array, ssrc: number, roc: number, seq: number): Buffer {
    const iv = this.iv12;
    iv.fill(0, 0, 2);
    writeU32(iv, 2, ssrc);
    writeU32(iv, 6, roc);
    iv[10] = seq >>> 8;
    iv[11] = seq;
    for (let i = 0; i < 12; i++) iv[i]! ^= salt[i]!;
    return iv;
  }

  /** RFC 7714 9.1: (00 00 || SSRC || 00 00 || 0 + SRTCP index) XOR salt. */
  private gcmRtcpIv(ssrc: number, index: number): Buffer {
    const iv = this.iv12;
    iv.fill(0);
    writeU32(iv, 2, ssrc);
    writeU32(iv, 8, index);
    for (let i = 0; i < 12; i++) iv[i]! ^= this.rtcp.salt[i]!;
    return iv;
  }

  /** RFC 3711 4.1.1: salt * 2^16 XOR SSRC * 2^64 XOR index * 2^16 (index = hi * 2^16 + lo16). */
  private ctrIv(salt: Uint8Array, ssrc: number, hi: number, lo16: number): Buffer {
    const iv = this.iv16;
    iv.fill(0);
    writeU32(iv, 4, ssrc);
    writeU32(iv, 8, hi);
    iv[12] = lo16 >>> 8;
    iv[13] = lo16;
    for (let i = 0; i < 14; i++) iv[i]! ^= salt[i]!;
    return iv;
  }
}
