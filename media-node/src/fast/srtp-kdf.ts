import { createCipheriv } from 'node:crypto';
import {
  masterSaltLength,
  PROFILE_AEAD_AES_128_GCM,
  type SrtpProfile,
  type SrtpSessionKeys,
} from './srtp-types.ts';

/** RFC 3711 4.3.2 labels: SRTP 0..2, SRTCP 3..5. */
const LABEL_RTP_KEY = 0;
const LABEL_RTP_AUTH = 1;
const LABEL_RTP_SALT = 2;
const LABEL_RTCP_KEY = 3;
const LABEL_RTCP_AUTH = 4;
const LABEL_RTCP_SALT = 5;

/**
 * RFC 3711 4.3.1 AES-CM PRF with key derivation rate 0 (what DTLS-SRTP uses): the output is the
 * AES-128-CTR keystream under the master key, starting at IV = (label * 2^48 XOR master_salt) * 2^16.
 * A 12-byte GCM master salt is zero-padded on the right to 112 bits (RFC 7714 11, as libsrtp and
 * werift do).
 */
export function srtpPrf(
  masterKey: Uint8Array,
  masterSalt: Uint8Array,
  label: number,
  length: number,
): Buffer {
  const iv = Buffer.alloc(16);
  iv.set(masterSalt.subarray(0, 14));
  iv[7] = (iv[7] ?? 0) ^ label;
  return createCipheriv('aes-128-ctr', masterKey, iv).update(Buffer.alloc(length));
}

/**
 * Session keys for one direction from the DTLS-exported master key and salt (called once per
 * transport and direction, never per packet).
 */
export function deriveSessionKeys(
  profile: SrtpProfile,
  masterKey: Uint8Array,
  masterSalt: Uint8Array,
): SrtpSessionKeys {
  if (masterKey.length !== 16) throw new RangeError(`SRTP master key must be 16 bytes`);
  const saltLen = masterSaltLength(profile);
  if (masterSalt.length < saltLen) {
    throw new RangeError(`SRTP master salt must be at least ${saltLen} bytes`);
  }
  // werift pads a GCM master salt to 14 bytes itself; only the profile's length is keying material.
  const salt = masterSalt.subarray(0, saltLen);
  const authLen = profile === PROFILE_AEAD_AES_128_GCM ? 0 : 20;
  return {
    profile,
    rtpKey: srtpPrf(masterKey, salt, LABEL_RTP_KEY, 16),
    rtpSalt: srtpPrf(masterKey, salt, LABEL_RTP_SALT, saltLen),
    rtpAuthKey: srtpPrf(masterKey, salt, LABEL_RTP_AUTH, authLen),
    rtcpKey: srtpPrf(masterKey, salt, LABEL_RTCP_KEY, 16),
    rtcpSalt: srtpPrf(masterKey, salt, LABEL_RTCP_SALT, saltLen),
    rtcpAuthKey: srtpPrf(masterKey, salt, LABEL_RTCP_AUTH, authLen),
  };
}
