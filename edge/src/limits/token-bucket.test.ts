import { describe, expect, it } from 'vitest';
import { TokenBuckets } from './token-bucket.ts';

const rule = { perSecond: 2, burst: 5 };

describe('TokenBuckets', () => {
  it('allows the burst, then the sustained rate, with an exact Retry-After', () => {
    const b = new TokenBuckets();
    for (let i = 0; i < 5; i++) expect(b.take('d', rule, 0).ok).toBe(true);
    const refused = b.take('d', rule, 0);
    expect(refused).toMatchObject({ ok: false, remaining: 0, retryAfterSeconds: 1 });
    expect(b.take('d', rule, 499).ok).toBe(false);
    expect(b.take('d', rule, 500).ok).toBe(true); // 2 per second: one token per 500 ms
    expect(b.take('other', rule, 500)).toMatchObject({ ok: true, remaining: 4 });
    expect(b.take('d', rule, 60_000)).toMatchObject({ ok: true, remaining: 4 });
  });

  it('keeps at most maxKeys buckets, forgetting the least recently used', () => {
    const b = new TokenBuckets(3);
    for (const k of ['a', 'b', 'c']) b.take(k, { perSecond: 1, burst: 1 }, 0);
    b.take('a', { perSecond: 1, burst: 1 }, 0); // refused, and now most recent
    b.take('d', { perSecond: 1, burst: 1 }, 0);
    expect(b.size).toBe(3);
    expect(b.take('b', { perSecond: 1, burst: 1 }, 0).ok).toBe(true); // b was forgotten
    expect(b.take('a', { perSecond: 1, burst: 1 }, 0).ok).toBe(false);
  });
});
