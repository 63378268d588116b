import { describe, expect, it } from 'vitest';
import { createSrtpContext } from './srtp.ts';
import { deriveSessionKeys, srtpPrf } from './srtp-kdf.ts';
import { BACKENDS, cipherFor, hex } from './srtp-test-helpers.ts';
import {
  PROFILE_AEAD_AES_128_GCM,
  PROFILE_AES_CM_128_HMAC_SHA1_80,
  SRTP_AUTH_FAILED,
  type SrtpSessionKeys,
} from './srtp-types.ts';

// RFC 3711 Appendix B.3 (also libsrtp's reference key).
const B3_MASTER_KEY = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
const B3_MASTER_SALT = hex('0EC675AD498AFEEBB6960B3AABE6');

describe('RFC 3711 key derivation (B.3)', () => {
  it('derives the cipher key, salt and auth key', () => {
    const keys = deriveSessionKeys(PROFILE_AES_CM_128_HMAC_SHA1_80, B3_MASTER_KEY, B3_MASTER_SALT);
    expect(Buffer.from(keys.rtpKey).toString('hex')).toBe('c61e7a93744f39ee10734afe3ff7a087');
    expect(Buffer.from(keys.rtpSalt).toString('hex')).toBe('30cbbc08863d8c85d49db34a9ae1');
    expect(Buffer.from(keys.rtpAuthKey).toString('hex')).toBe(
      'cebe321f6ff7716b6fd4ab49af256a156d38baa4',
    );
  });

  it('continues the auth key keystream past the first blocks', () => {
    const long = srtpPrf(B3_MASTER_KEY, B3_MASTER_SALT, 1, 32);
    expect(long.toString('hex')).toBe(
      'cebe321f6ff7716b6fd4ab49af256a156d38baa48f0a0acf3c34e2359e6cdbce',
    );
  });

  it('gives GCM a 12-byte salt and no auth keys', () => {
    const keys = deriveSessionKeys(PROFILE_AEAD_AES_128_GCM, B3_MASTER_KEY, B3_MASTER_SALT);
    expect(keys.rtpSalt).toHaveLength(12);
    expect(keys.rtpAuthKey).toHaveLength(0);
    expect(keys.rtcpKey).toHaveLength(16);
  });
});

describe.each(BACKENDS)('%s backend', (backend) => {
  describe('RFC 3711 B.2 AES-CM keystream', () => {
    // Session key and salt given directly; SSRC 0, ROC 0, SEQ 0: a zero payload encrypts to the
    // keystream itself. Blocks 0xfeff..0xff01 also check the 16-bit block counter carry.
    const keys: SrtpSessionKeys = {
      profile: PROFILE_AES_CM_128_HMAC_SHA1_80,
      rtpKey: hex('2B7E151628AED2A6ABF7158809CF4F3C'),
      rtpSalt: hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD'),
      rtpAuthKey: Buffer.alloc(20),
      rtcpKey: Buffer.alloc(16),
      rtcpSalt: Buffer.alloc(14),
      rtcpAuthKey: Buffer.alloc(20),
    };

    it('matches the published keystream blocks', () => {
      const blocks = 0xff02;
      const packet = Buffer.alloc(12 + blocks * 16);
      packet[0] = 0x80;
      const out = Buffer.alloc(packet.length + 10);
      const n = cipherFor(backend, keys).protectRtp(packet, packet.length, 0, out, 0);
      expect(n).toBe(packet.length + 10);
      const block = (i: number) => out.subarray(12 + i * 16, 12 + (i + 1) * 16).toString('hex');
      expect(block(0)).toBe('e03ead0935c95e80e166b16dd92b4eb4');
      expect(block(1)).toBe('d23513162b02d0f72a43a2fe4a5f97ab');
      expect(block(2)).toBe('41e95b3bb0a2e8dd477901e4fca894c0');
      expect(block(0xfeff)).toBe('ec8cdf7398607cb0f2d21675ea9ea1e4');
      expect(block(0xff00)).toBe('362b7c3c6773516318a077d7fc5073ae');
      expect(block(0xff01)).toBe('6a2cc3787889374fbeb4c81b17ba6c44');
    });
  });

  describe('AES_CM_128_HMAC_SHA1_80 reference packets (libsrtp srtp_validate, B.3 keys)', () => {
    const keys = deriveSessionKeys(PROFILE_AES_CM_128_HMAC_SHA1_80, B3_MASTER_KEY, B3_MASTER_SALT);
    const rtp = hex('800f1234decafbadcafebabe abababababababababababababababab');
    const srtp = hex(
      '800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc99ea179b8dbb',
    );
    const rtcp = hex('81c8000bcafebabe abababababababababababababababab');
    const srtcp = hex(
      '81c8000bcafebabe 7128035be487b9bdbef89041f977a5a8 80000001 993e08cd54d6c1230798',
    );

    it('protects and unprotects RTP (KDF + AES-CM + HMAC)', () => {
      const ctx = createSrtpContext(keys, backend);
      const out = Buffer.alloc(64);
      expect(ctx.protectRtp(rtp, rtp.length, out)).toBe(srtp.length);
      expect(out.subarray(0, srtp.length)).toEqual(srtp);
      const back = Buffer.alloc(64);
      const rx = createSrtpContext(keys, backend);
      expect(rx.unprotectRtp(srtp, srtp.length, back)).toBe(rtp.length);
      expect(back.subarray(0, rtp.length)).toEqual(rtp);
    });

    it('protects SRTCP with index 1 first and unprotects it', () => {
      const ctx = createSrtpContext(keys, backend);
      const out = Buffer.alloc(64);
      expect(ctx.protectRtcp(rtcp, rtcp.length, out)).toBe(srtcp.length);
      expect(out.subarray(0, srtcp.length)).toEqual(srtcp);
      const back = Buffer.alloc(64);
      expect(ctx.unprotectRtcp(srtcp, srtcp.length, back)).toBe(rtcp.length);
      expect(back.subarray(0, rtcp.length)).toEqual(rtcp);
    });

    it('rejects a packet with one flipped bit', () => {
      const bad = Buffer.from(srtp);
      bad[20]! ^= 1;
      const rx = createSrtpContext(keys, backend);
      expect(rx.unprotectRtp(bad, bad.length, Buffer.alloc(64))).toBe(SRTP_AUTH_FAILED);
      const badRtcp = Buffer.from(srtcp);
      badRtcp[9]! ^= 1;
      expect(rx.unprotectRtcp(badRtcp, badRtcp.length, Buffer.alloc(64))).toBe(SRTP_AUTH_FAILED);
    });
  });

  describe('RFC 7714 AEAD_AES_128_GCM (16.1.1, 17.1.1)', () => {
    // Session key and salt given directly by the RFC.
    const key = hex('000102030405060708090a0b0c0d0e0f');
    const salt = hex('517569642070726f2071756f');
    const keys: SrtpSessionKeys = {
      profile: PROFILE_AEAD_AES_128_GCM,
      rtpKey: key,
      rtpSalt: salt,
      rtpAuthKey: Buffer.alloc(0),
      rtcpKey: key,
      rtcpSalt: salt,
      rtcpAuthKey: Buffer.alloc(0),
    };
    const rtp = hex(`8040f17b8041f8d35501a0b2 47616c6c696120657374206f6d6e697320
      646976697361 20696e207061727465732074726573`);
    const srtp = hex(`8040f17b8041f8d35501a0b2 f24de3a3fb34de6cacba861c9d7e4bcabe633bd5
      0d294e6f42a5f47a51c7d19b36de3adf8833 899d7f27beb16a9152cf765ee4390cce`);
    const rtcp = hex(`81c8000d4d617273 4e5450314e545032525450200000042a0000e930
      4c756e61deadbeefdeadbeefdeadbeefdeadbeefdeadbeef`);
    const srtcp = hex(`81c8000d4d617273 63e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32dc676a5f1
      730d6fda4ce09b4686303ded0bb9275bc84aa45896cf4d2fc5abf87245d9eade 800005d4`);

    it('encrypts and decrypts the RTP vector', () => {
      const c = cipherFor(backend, keys);
      const out = Buffer.alloc(128);
      expect(c.protectRtp(rtp, rtp.length, 0, out, 0)).toBe(srtp.length);
      expect(out.subarray(0, srtp.length)).toEqual(srtp);
      const back = Buffer.alloc(128);
      expect(c.unprotectRtp(srtp, srtp.length, 0, back, 0)).toBe(rtp.length);
      expect(back.subarray(0, rtp.length)).toEqual(rtp);
    });

    it('encrypts and decrypts the RTCP vector (index 0x5d4)', () => {
      const c = cipherFor(backend, keys);
      const out = Buffer.alloc(128);
      expect(c.protectRtcp(rtcp, rtcp.length, 0x5d4, out, 0)).toBe(srtcp.length);
      expect(out.subarray(0, srtcp.length)).toEqual(srtcp);
      const back = Buffer.alloc(128);
      expect(c.unprotectRtcp(srtcp, srtcp.length, back, 0)).toBe(rtcp.length);
      expect(back.subarray(0, rtcp.length)).toEqual(rtcp);
    });

    it('fails authentication with the wrong ROC or a modified header', () => {
      const c = cipherFor(backend, keys);
      expect(c.unprotectRtp(srtp, srtp.length, 1, Buffer.alloc(128), 0)).toBe(SRTP_AUTH_FAILED);
      const bad = Buffer.from(srtp);
      bad[1]! ^= 1;
      expect(c.unprotectRtp(bad, bad.length, 0, Buffer.alloc(128), 0)).toBe(SRTP_AUTH_FAILED);
    });

    it('works in place', () => {
      const c = cipherFor(backend, keys);
      const buf = Buffer.alloc(rtp.length + 16);
      rtp.copy(buf);
      expect(c.protectRtp(buf, rtp.length, 0, buf, 0)).toBe(srtp.length);
      expect(buf).toEqual(srtp);
      expect(c.unprotectRtp(buf, buf.length, 0, buf, 0)).toBe(rtp.length);
      expect(buf.subarray(0, rtp.length)).toEqual(rtp);
    });
  });
});
