/** Session ids and the private room of a session without one. */
import { shardFor } from '../../../shared/hash.ts';
import { NAME_PATTERN } from '../../../shared/limits.ts';

/**
 * A new session id: 128 random bits as 32 lowercase hex characters. Unguessable, URL-safe and
 * short enough that `p-<id>` still matches NAME_PATTERN (34 of 64 characters).
 */
export function newSessionId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Draws per shard before giving up: the chance of needing more is (1 - 1/n)^(64n) < e^-64. */
const DRAWS_PER_SHARD = 64;

/** The shard that holds a device's sessions (and its Idempotency-Keys). */
export function deviceShard(deviceId: string, shardCount: number): number {
  return shardFor(deviceId, shardCount);
}

/**
 * A new session id that lands on the device's shard: `FNV-1a-32(id) % shardCount` equals
 * `FNV-1a-32(deviceId) % shardCount`, so every session of a device lives in one shard and listing
 * them reads one object, while `GET /sessions/:id` still routes by the id alone. Random ids are
 * drawn until one hashes there: `shardCount` draws expected, bounded.
 */
export function newSessionIdFor(deviceId: string, shardCount: number): string {
  const target = deviceShard(deviceId, shardCount);
  for (let i = 0; i < DRAWS_PER_SHARD * shardCount; i++) {
    const id = newSessionId();
    if (shardFor(id, shardCount) === target) return id;
  }
  throw new Error(`no session id found for shard ${target} of ${shardCount}`);
}

/** True for strings that can be session ids (cheap check before touching any shard). */
export function isSessionId(value: string): boolean {
  return /^[0-9a-f]{32}$/.test(value);
}

/** The private room of a session created without `room`: a room of one. */
export function privateRoom(sessionId: string): string {
  const room = `p-${sessionId}`;
  if (!NAME_PATTERN.test(room)) throw new Error(`private room name out of pattern: ${room}`);
  return room;
}

/** True for the rooms made by {@link privateRoom} (they never need a room -> node entry). */
export function isPrivateRoom(room: string): boolean {
  return room.startsWith('p-');
}
