/**
 * When to try a failed delivery again: exponential backoff with "equal jitter" (half the delay
 * fixed, half random), so receivers recovering from an outage are not hit by every dispatcher at
 * the same instant, and a delivery is given up only once it is older than the retry window.
 */

export interface BackoffPolicy {
  /** First retry delay, in ms. */
  baseMs: number;
  /** Longest delay, in ms. */
  maxMs: number;
  /** Deliveries older than this are given up, in ms. */
  retryForMs: number;
}

/** Delay before attempt `failures + 1`, after `failures` (>= 1) failed attempts, in ms. */
export function retryDelay(policy: BackoffPolicy, failures: number, random = Math.random): number {
  const exp = policy.baseMs * 2 ** Math.min(Math.max(failures - 1, 0), 40);
  const capped = Math.min(exp, policy.maxMs);
  return Math.round(capped / 2 + (capped / 2) * random());
}

/** What to do with a delivery after a failed attempt at `now`. */
export function afterFailure(
  policy: BackoffPolicy,
  delivery: { createdAt: number; attempts: number },
  now: number,
  random = Math.random,
): { kind: 'retry'; at: number } | { kind: 'give_up' } {
  const failures = delivery.attempts + 1;
  const at = now + retryDelay(policy, failures, random);
  if (now - delivery.createdAt >= policy.retryForMs) return { kind: 'give_up' };
  return { kind: 'retry', at };
}
