import { describe, expect, it } from 'vitest';
import { MediaError } from './errors.ts';
import { assertFingerprints, assertMediaSections, MAX_SDP_MEDIA_SECTIONS } from './sdp-limits.ts';

const section = (i: number) => `m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:${i}\r\n`;
const sdpWith = (sections: number, fingerprint = 'sha-256 ' + Array(32).fill('AB').join(':')) =>
  `v=0\r\na=fingerprint:${fingerprint}\r\n${Array.from({ length: sections }, (_, i) => section(i)).join('')}`;

function refusal(fn: () => void): MediaError {
  try {
    fn();
  } catch (error) {
    if (error instanceof MediaError) return error;
    throw error;
  }
  throw new Error('not refused');
}

describe('assertMediaSections', () => {
  it(`takes ${MAX_SDP_MEDIA_SECTIONS} m-lines and refuses one more with the limit`, () => {
    expect(() => assertMediaSections(sdpWith(MAX_SDP_MEDIA_SECTIONS), 'offer')).not.toThrow();
    const e = refusal(() => assertMediaSections(sdpWith(MAX_SDP_MEDIA_SECTIONS + 1), 'offer'));
    expect(e.code).toBe('invalid_request');
    expect(e.details).toMatchObject({ field: 'sdp', limit: MAX_SDP_MEDIA_SECTIONS });
  });
});

describe('assertFingerprints', () => {
  it('takes a well-formed sha-256 fingerprint', () => {
    expect(() => assertFingerprints(sdpWith(1), 'offer')).not.toThrow();
  });

  it.each([
    ['unknown hash', 'md5 AB:CD'],
    ['wrong length', `sha-256 ${Array(20).fill('AB').join(':')}`],
    ['not hex', `sha-256 ${Array(32).fill('ZZ').join(':')}`],
  ])('refuses a fingerprint with %s', (_name, fingerprint) => {
    const e = refusal(() => assertFingerprints(sdpWith(1, fingerprint), 'answer'));
    expect(e.code).toBe('invalid_request');
    expect(e.details).toMatchObject({ field: 'sdp' });
  });
});
