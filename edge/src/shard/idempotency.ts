/**
 * Idempotency keys of `POST /sessions`. A key is claimed before the create runs and completed
 * with the response afterwards, so a retry gets the first result and a concurrent duplicate is
 * refused rather than creating a second session.
 */
import type { SessionStore } from './session-store.ts';

/** How long a key is remembered, in ms. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** A claim never completed after this long (a crashed request) may be taken over, in ms. */
export const IDEMPOTENCY_STALE_MS = 60_000;

export type IdempotencyClaim =
  | { kind: 'new' }
  | { kind: 'replay'; status: number; response: string }
  | { kind: 'conflict' }
  | { kind: 'pending' };

export function claimKey(
  store: SessionStore,
  keyHash: string,
  bodyHash: string,
  now: number,
): IdempotencyClaim {
  const row = store.getIdempotency(keyHash);
  if (row && row.expiresAt > now) {
    if (row.bodyHash !== bodyHash) return { kind: 'conflict' };
    if (row.status !== null && row.response !== null) {
      return { kind: 'replay', status: row.status, response: row.response };
    }
    const claimedAt = row.expiresAt - IDEMPOTENCY_TTL_MS;
    if (now - claimedAt < IDEMPOTENCY_STALE_MS) return { kind: 'pending' };
  }
  store.putIdempotency(keyHash, {
    bodyHash,
    status: null,
    response: null,
    expiresAt: now + IDEMPOTENCY_TTL_MS,
  });
  return { kind: 'new' };
}

/** Stores the result of a claimed create; `status` null releases the key (the create failed). */
export function completeKey(
  store: SessionStore,
  keyHash: string,
  status: number | null,
  response: string,
): void {
  const row = store.getIdempotency(keyHash);
  if (!row) return;
  if (status === null) store.deleteIdempotency(keyHash);
  else store.putIdempotency(keyHash, { ...row, status, response });
}
