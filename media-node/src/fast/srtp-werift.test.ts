/**
 * Interop with werift's own SRTP (node_modules/werift/lib/rtp/src/srtp): what werift protects we
 * unprotect and the other way round, for both profiles, across a sequence wrap.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RtpHeader, SrtcpSession, SrtpSession } from 'werift';
import { createSrtpContextFromMaster } from './srtp.ts';
import { BACKENDS, rtpPacket } from './srtp-test-helpers.ts';
import {
  masterSaltLength,
  PROFILE_AEAD_AES_128_GCM,
  PROFILE_AES_CM_128_HMAC_SHA1_80,
  type SrtpProfile,
} from './srtp-types.ts';

const PROFILES = [PROFILE_AEAD_AES_128_GCM, PROFILE_AES_CM_128_HMAC_SHA1_80] as const;
const SEQS = [65533, 65534, 65535, 0, 1, 2];
const SSRC = 0x11223344;

/** A werift session pair as `RTCDtlsTransport.updateSrtpSession` builds it. */
function weriftSessions(profile: SrtpProfile) {
  const a = { key: randomBytes(16), salt: randomBytes(masterSaltLength(profile)) };
  const b = { key: randomBytes(16), salt: randomBytes(masterSaltLength(profile)) };
  const config = {
    keys: {
      localMasterKey: a.key,
      localMasterSalt: a.salt,
      remoteMasterKey: b.key,
      remoteMasterSalt: b.salt,
    },
    profile,
  };
  return { a, b, srtp: new SrtpSession(config), srtcp: new SrtcpSession(config) };
}

describe.each(BACKENDS)('%s backend vs werift 0.25.2', (backend) => {
  it.each(PROFILES)('profile %i: werift protects RTP, we unprotect', (profile) => {
    const w = weriftSessions(profile);
    const ours = createSrtpContextFromMaster(profile, w.a.key, w.a.salt, backend);
    for (const seq of SEQS) {
      const payload = randomBytes(1000);
      const header = new RtpHeader({
        sequenceNumber: seq,
        timestamp: seq * 90,
        ssrc: SSRC,
        payloadType: 96,
      });
      const enc = w.srtp.encrypt(payload, header);
      const back = Buffer.alloc(enc.length);
      const n = ours.unprotectRtp(enc, enc.length, back);
      expect(n).toBe(enc.length - ours.rtpOverhead);
      expect(back.subarray(n - payload.length, n)).toEqual(payload);
    }
  });

  it.each(PROFILES)('profile %i: we protect RTP and RTCP, werift unprotects', (profile) => {
    const w = weriftSessions(profile);
    const ours = createSrtpContextFromMaster(profile, w.b.key, w.b.salt, backend);
    for (const seq of SEQS) {
      const plain = rtpPacket({ seq, ssrc: SSRC, payload: randomBytes(100), extWords: 1 });
      const out = Buffer.alloc(plain.length + ours.rtpOverhead);
      ours.protectRtp(plain, plain.length, out);
      expect(w.srtp.decrypt(out)).toEqual(plain);
    }
    const rtcp = Buffer.concat([Buffer.from('81c90007', 'hex'), randomBytes(28)]);
    const out = Buffer.alloc(rtcp.length + ours.rtcpOverhead);
    expect(ours.protectRtcp(rtcp, rtcp.length, out)).toBe(out.length);
    expect(w.srtcp.decrypt(out)).toEqual(rtcp);
  });

  it.each(PROFILES)('profile %i: werift protects RTCP, we unprotect', (profile) => {
    const w = weriftSessions(profile);
    const ours = createSrtpContextFromMaster(profile, w.a.key, w.a.salt, backend);
    const rtcp = Buffer.concat([Buffer.from('80c80006', 'hex'), randomBytes(24)]);
    const enc = w.srtcp.encrypt(rtcp);
    const back = Buffer.alloc(enc.length);
    expect(ours.unprotectRtcp(enc, enc.length, back)).toBe(rtcp.length);
    expect(back.subarray(0, rtcp.length)).toEqual(rtcp);
  });
});
