/**
 * Token buckets per key (device id, client address), in memory, bounded. Pure: time is a
 * parameter, so the unit tests need no clock.
 */

export interface BucketRule {
  /** Tokens added per second (the sustained rate). */
  perSecond: number;
  /** Bucket size (the burst allowed above the sustained rate). */
  burst: number;
}

export interface TakeResult {
  ok: boolean;
  /** Whole tokens left after this call. */
  remaining: number;
  /** Seconds until one token is available again (0 when one is). */
  retryAfterSeconds: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * At most `maxKeys` buckets; past it the least recently used is forgotten (a forgotten key
 * starts full again: it can only gain what a fresh key would have, so eviction opens no hole
 * beyond using many keys, which the per-address limit already bounds).
 */
export class TokenBuckets {
  readonly #buckets = new Map<string, Bucket>();
  readonly #maxKeys: number;

  constructor(maxKeys = 10_000) {
    this.#maxKeys = maxKeys;
  }

  get size(): number {
    return this.#buckets.size;
  }

  /** Takes one token from `key`'s bucket at `now` (ms), refilled since its last use. */
  take(key: string, rule: BucketRule, now: number): TakeResult {
    const previous = this.#buckets.get(key);
    const elapsedS = previous ? Math.max(0, now - previous.at) / 1000 : 0;
    const tokens = Math.min(
      rule.burst,
      (previous?.tokens ?? rule.burst) + elapsedS * rule.perSecond,
    );
    const ok = tokens >= 1;
    const left = ok ? tokens - 1 : tokens;
    // Re-inserting keeps Map order = least recently used first.
    this.#buckets.delete(key);
    this.#buckets.set(key, { tokens: left, at: now });
    while (this.#buckets.size > this.#maxKeys) {
      this.#buckets.delete(this.#buckets.keys().next().value as string);
    }
    return {
      ok,
      remaining: Math.floor(left),
      retryAfterSeconds: ok ? 0 : Math.ceil((1 - left) / rule.perSecond),
      resetSeconds: Math.ceil((rule.burst - left) / rule.perSecond),
    };
  }
}
