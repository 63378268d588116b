/**
 * Idempotency keys of `POST /sessions`. A key is claimed before the create runs and completed
 * with the response afterwards, so a retry gets the first result and a concurrent duplicate is
 * refused rather than creating a second session.
 *
 * A key expires with its session: once the session it created is closed, failed, past its
 * connect deadline or deleted, the key is forgotten and the same key creates a new session
 * (a dead session is never replayed as a fresh `201`). Otherwise it is kept IDEMPOTENCY_TTL_MS.
 * Keys live on the device's shard, beside the sessions they name, so the check is local.
 */
import type { IdempotencyStore } from './idempotency-store.ts';

/** How long a key is remembered at most, in ms. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** A claim never completed after this long (a crashed request) may be taken over, in ms. */
export const IDEMPOTENCY_STALE_MS = 60_000;

export type IdempotencyClaim =
  | { kind: 'new' }
  | { kind: 'replay'; status: number; response: string }
  | { kind: 'conflict' }
  | { kind: 'pending' };

/** Whether the session a stored response names may still be handed out (open, in time). */
export type SessionLive = (sessionId: string, now: number) => boolean;

function sessionIdOf(response: string): string | undefined {
  try {
    const id = (JSON.parse(response) as { sessionId?: unknown }).sessionId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

export function claimKey(
  store: IdempotencyStore,
  keyHash: string,
  bodyHash: string,
  now: number,
  live: SessionLive,
): IdempotencyClaim {
  const row = store.get(keyHash);
  if (row && row.expiresAt > now) {
    if (row.status !== null && row.response !== null) {
      const id = sessionIdOf(row.response);
      const alive = id !== undefined && live(id, now);
      if (alive && row.bodyHash !== bodyHash) return { kind: 'conflict' };
      if (alive) return { kind: 'replay', status: row.status, response: row.response };
      // The key's session is over: the key ended with it; this request starts afresh.
    } else {
      if (row.bodyHash !== bodyHash) return { kind: 'conflict' };
      const claimedAt = row.expiresAt - IDEMPOTENCY_TTL_MS;
      if (now - claimedAt < IDEMPOTENCY_STALE_MS) return { kind: 'pending' };
    }
  }
  store.put(keyHash, {
    bodyHash,
    status: null,
    response: null,
    expiresAt: now + IDEMPOTENCY_TTL_MS,
  });
  return { kind: 'new' };
}

/** Stores the result of a claimed create; `status` null releases the key (the create failed). */
export function completeKey(
  store: IdempotencyStore,
  keyHash: string,
  status: number | null,
  response: string,
): void {
  const row = store.get(keyHash);
  if (!row) return;
  if (status === null) store.delete(keyHash);
  else store.put(keyHash, { ...row, status, response });
}
