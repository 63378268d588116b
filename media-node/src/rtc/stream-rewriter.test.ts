import { describe, expect, it } from 'vitest';
import { StreamRewriter } from './stream-rewriter.ts';

describe('StreamRewriter', () => {
  it('keeps the first source numbering as it is', () => {
    const r = new StreamRewriter();
    r.switchTo(1000, 90_000, 0, 90_000);
    expect([r.seqOffset, r.tsOffset]).toEqual([0, 0]);
  });

  it('continues a new source with the next sequence number and the elapsed time', () => {
    const r = new StreamRewriter();
    r.sent(1000, 90_000, 100);
    r.sent(1001, 93_000, 133);
    // A layer numbered elsewhere starts 33 ms later.
    r.switchTo(50_000, 7_000_000, 166, 90_000);
    expect((50_000 + r.seqOffset) & 0xffff).toBe(1002);
    expect((7_000_000 + r.tsOffset) >>> 0).toBe(93_000 + 2_970);
    expect(r.sourceSeq(1002)).toBe(50_000);
    r.sent(50_000, 7_000_000, 166);
    expect(r.lastOutSeq).toBe(1002);
  });

  it('wraps sequence numbers and timestamps', () => {
    const r = new StreamRewriter();
    r.sent(65_535, 0xffff_fff0, 0);
    r.switchTo(10, 5, 1, 90_000);
    expect((10 + r.seqOffset) & 0xffff).toBe(0);
    expect((5 + r.tsOffset) >>> 0).toBe((0xffff_fff0 + 90) >>> 0);
  });

  it('advances the timestamp by at least one tick', () => {
    const r = new StreamRewriter();
    r.sent(1, 100, 50);
    r.switchTo(7, 9, 50, 90_000);
    expect((9 + r.tsOffset) >>> 0).toBe(101);
  });
});
