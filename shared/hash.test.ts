import { describe, expect, it } from 'vitest';
import { fnv1a32, fnv1a32Update, shardFor } from './hash.ts';

/** The definition, byte by byte over the UTF-8 encoding. */
function reference(input: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(input)) h = Math.imul(h ^ b, 0x01000193);
  return h >>> 0;
}

describe('fnv1a32', () => {
  it('matches the published FNV-1a-32 test vectors', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('hashes UTF-8 bytes, not UTF-16 code units', () => {
    // 'é' is two UTF-8 bytes (0xc3 0xa9); hashing them by hand must agree.
    let h = 0x811c9dc5;
    for (const b of [0xc3, 0xa9]) h = Math.imul(h ^ b, 0x01000193);
    expect(fnv1a32('é')).toBe(h >>> 0);
  });

  it('agrees with the byte-wise definition on ASCII, non-ASCII and mixed strings', () => {
    for (const s of ['device-1', 'ab€cd', 'x😀y', 'é', '0123456789abcdef'.repeat(2)]) {
      expect(fnv1a32(s)).toBe(reference(s));
    }
  });

  it('continues a hash: update(hash(a), b) is hash(a + b)', () => {
    expect(fnv1a32Update(fnv1a32('0123abcd'), 'ef01')).toBe(fnv1a32('0123abcdef01'));
    expect(fnv1a32Update(fnv1a32('p-'), 'é9')).toBe(fnv1a32('p-é9'));
  });
});

describe('shardFor', () => {
  it('is the hash modulo the shard count', () => {
    expect(shardFor('foobar', 32)).toBe(0xbf9cf968 % 32);
    expect(shardFor('anything', 1)).toBe(0);
  });

  it('spreads ids over all shards', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 2_000; i++) seen.add(shardFor(`s_${i}`, 32));
    expect(seen.size).toBe(32);
  });

  it('refuses a shard count that is not a positive integer', () => {
    expect(() => shardFor('x', 0)).toThrow(RangeError);
    expect(() => shardFor('x', 1.5)).toThrow(RangeError);
  });
});
