import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSrtpContext, nativeSrtpAvailable } from './srtp.ts';
import { deriveSessionKeys } from './srtp-kdf.ts';
import { commitRoc, guessRoc, type RocState } from './srtp-roc.ts';
import { BACKENDS, cipherFor, rtpPacket } from './srtp-test-helpers.ts';
import {
  PROFILE_AEAD_AES_128_GCM,
  PROFILE_AES_CM_128_HMAC_SHA1_80,
  SRTP_AUTH_FAILED,
} from './srtp-types.ts';

describe('ROC guess (RFC 3711 Appendix A)', () => {
  it('increments at 65535 -> 0 and keeps late packets from before the wrap in the old ROC', () => {
    const s: RocState = { roc: 0, lastSeq: 65534 };
    const seen = [65535, 0, 65533, 1, 2].map((seq) => {
      const roc = guessRoc(s, seq);
      commitRoc(s, seq, roc);
      return roc;
    });
    expect(seen).toEqual([0, 1, 0, 1, 1]);
    expect(s).toEqual({ roc: 1, lastSeq: 2 });
  });

  it('never goes below ROC 0 at the start of a stream', () => {
    const s: RocState = { roc: 0, lastSeq: 10 };
    expect(guessRoc(s, 65000)).toBe(0);
  });
});

const PROFILES = [PROFILE_AEAD_AES_128_GCM, PROFILE_AES_CM_128_HMAC_SHA1_80] as const;

describe.each(BACKENDS)('%s backend: SrtpContext across the sequence wrap', (backend) => {
  it.each(PROFILES)(
    'profile %i: round trip 65530..5, reordered, ROC 1 after the wrap',
    (profile) => {
      const keys = deriveSessionKeys(profile, randomBytes(16), randomBytes(14));
      const tx = createSrtpContext(keys, backend);
      const rx = createSrtpContext(keys, backend);
      const seqs = [65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3, 4, 5];
      const sent = seqs.map((seq) => {
        const plain = rtpPacket({ seq, ssrc: 0xdeadbeef, payload: randomBytes(100) });
        const out = Buffer.alloc(plain.length + tx.rtpOverhead);
        expect(tx.protectRtp(plain, plain.length, out)).toBe(out.length);
        return { plain, out };
      });
      expect(tx.getRoc(0xdeadbeef)).toEqual({ roc: 1, lastSeq: 5 });
      // Deliver 65535 after 0 and 1: it must still decrypt with ROC 0.
      const order = [0, 1, 2, 3, 4, 6, 7, 5, 8, 9, 10, 11];
      for (const i of order) {
        const { plain, out } = sent[i]!;
        const back = Buffer.alloc(out.length);
        expect(rx.unprotectRtp(out, out.length, back)).toBe(plain.length);
        expect(back.subarray(0, plain.length)).toEqual(plain);
      }
      expect(rx.getRoc(0xdeadbeef)).toEqual({ roc: 1, lastSeq: 5 });
      // The packet after the wrap is really keyed with ROC 1, not 0.
      const wrapped = sent[6]!.out;
      const raw = cipherFor(backend, keys);
      expect(raw.unprotectRtp(wrapped, wrapped.length, 0, Buffer.alloc(200), 0)).toBe(
        SRTP_AUTH_FAILED,
      );
      expect(raw.unprotectRtp(wrapped, wrapped.length, 1, Buffer.alloc(200), 0)).toBeGreaterThan(0);
    },
  );

  it('keeps the ROC state when authentication fails', () => {
    const keys = deriveSessionKeys(PROFILE_AEAD_AES_128_GCM, randomBytes(16), randomBytes(12));
    const rx = createSrtpContext(keys, backend);
    rx.setRoc(7, 3, 65535);
    const forged = Buffer.concat([
      rtpPacket({ seq: 0, ssrc: 7, payload: randomBytes(20) }),
      Buffer.alloc(16),
    ]);
    expect(rx.unprotectRtp(forged, forged.length, Buffer.alloc(64))).toBe(SRTP_AUTH_FAILED);
    expect(rx.getRoc(7)).toEqual({ roc: 3, lastSeq: 65535 });
  });
});

describe.runIf(nativeSrtpAvailable())('native and JS produce identical bytes', () => {
  it.each(PROFILES)('profile %i: random packets with CSRCs and extensions', (profile) => {
    const keys = deriveSessionKeys(profile, randomBytes(16), randomBytes(14));
    const n = cipherFor('native', keys);
    const j = cipherFor('js', keys);
    for (let i = 0; i < 200; i++) {
      const plain = rtpPacket({
        seq: (i * 7919) & 0xffff,
        ssrc: randomBytes(4).readUInt32BE(),
        payload: randomBytes(i * 7),
        csrcs: i % 3,
        extWords: i % 4,
      });
      const roc = i * 131;
      const a = Buffer.alloc(plain.length + 16);
      const b = Buffer.alloc(plain.length + 16);
      expect(n.protectRtp(plain, plain.length, roc, a, 0)).toBe(
        j.protectRtp(plain, plain.length, roc, b, 0),
      );
      expect(a).toEqual(b);
      const rtcp = Buffer.concat([Buffer.from([0x81, 0xc8, 0, 6]), randomBytes(4 + i)]);
      const c = Buffer.alloc(rtcp.length + 20);
      const d = Buffer.alloc(rtcp.length + 20);
      expect(n.protectRtcp(rtcp, rtcp.length, i * 3, c, 0)).toBe(
        j.protectRtcp(rtcp, rtcp.length, i * 3, d, 0),
      );
      expect(c).toEqual(d);
    }
  });
});
