import { describe, expect, it } from 'vitest';
import { TransportWideCC } from 'werift';
import { SendHistory } from './send-history.ts';
import { matchFeedback, type TwccFeedbackLike, twccResults } from './twcc-feedback.ts';

/**
 * A feedback packet's FCI as Chromium writes it: base 65534 (wraps), 9 packets: a status-vector
 * chunk (two-bit symbols: small, not received, large, small, small, not received, small), then a
 * run-length chunk (2 x small); reference time 2 (128 ms); deltas 1 ms, -2 ms (large), 0.25 ms,
 * 0.5 ms, 1 ms, 3 ms, 0.25 ms.
 */
function chromiumLikeFeedback(): Buffer {
  const fci = Buffer.alloc(16 + 4 + 1 + 2 + 1 + 1 + 1 + 1 + 1 + 2);
  fci.writeUInt32BE(1, 0); // sender SSRC
  fci.writeUInt32BE(2, 4); // media SSRC
  fci.writeUInt16BE(65534, 8);
  fci.writeUInt16BE(9, 10);
  fci.writeUIntBE(2, 12, 3); // reference time
  fci.writeUInt8(7, 15); // feedback packet count
  // Status vector, 2-bit symbols: 1 1 | s1 s2 s3 | s4 s5 s6 s7 -> 1,0,2 | 1,1,0,1
  fci.writeUInt16BE(
    (1 << 15) | (1 << 14) | (1 << 12) | (0 << 10) | (2 << 8) | (1 << 6) | (1 << 4) | (0 << 2) | 1,
    16,
  );
  // Run length: T=0, status 1 (small), run 2
  fci.writeUInt16BE((1 << 13) | 2, 18);
  let at = 20;
  fci.writeUInt8(4, at++); // 1 ms
  fci.writeInt16BE(-8, at); // -2 ms (large)
  at += 2;
  fci.writeUInt8(1, at++); // 0.25 ms
  fci.writeUInt8(2, at++); // 0.5 ms
  fci.writeUInt8(4, at++); // 1 ms
  fci.writeUInt8(12, at++); // 3 ms (first of the run)
  fci.writeUInt8(1, at++); // 0.25 ms
  return fci.subarray(0, at);
}

describe('twccResults', () => {
  it('reads status-vector and run-length chunks, wraps the sequence, accumulates deltas', () => {
    const fb = TransportWideCC.deSerialize(chromiumLikeFeedback(), undefined as never);
    const got = twccResults(fb as never);
    expect(got.map((r) => r.seq)).toEqual([65534, 65535, 0, 1, 2, 3, 4, 5, 6]);
    expect(got.map((r) => r.arrivalMs)).toEqual([
      129,
      undefined,
      127,
      127.25,
      127.75,
      undefined,
      128.75,
      131.75,
      132,
    ]);
  });

  it('returns nothing for a feedback whose deltas or chunks are short', () => {
    const fb = TransportWideCC.deSerialize(
      chromiumLikeFeedback(),
      undefined as never,
    ) as unknown as TwccFeedbackLike;
    expect(twccResults({ ...fb, recvDeltas: [] })).toEqual([]);
    expect(twccResults({ ...fb, packetStatusCount: 40 })).toEqual([]);
  });
});

describe('matchFeedback', () => {
  it('pairs results with send records once, skipping unknown packets', () => {
    const history = new SendHistory();
    history.record(65535, 10, 1200);
    history.record(0, 11, 300);
    const results = [
      { seq: 65534, arrivalMs: 100 },
      { seq: 65535, arrivalMs: undefined },
      { seq: 0, arrivalMs: 102 },
    ];
    expect(matchFeedback(results, history)).toEqual([
      { sendMs: 10, arrivalMs: undefined, size: 1200 },
      { sendMs: 11, arrivalMs: 102, size: 300 },
    ]);
    // Received packets are reported once; a lost one may still arrive later.
    expect(matchFeedback(results, history)).toEqual([
      { sendMs: 10, arrivalMs: undefined, size: 1200 },
    ]);
  });

  it('does not confuse a slot reused 4096 packets later', () => {
    const history = new SendHistory();
    history.record(5, 1, 100);
    history.record(5 + 4096, 2, 200);
    expect(history.sentMs(5)).toBe(-1);
    expect(history.sentMs(4101)).toBe(2);
  });
});
