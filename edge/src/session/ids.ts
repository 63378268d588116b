/** Session ids and the private room of a session without one. */
import { fnv1a32, fnv1a32Update, shardFor } from '../../../shared/hash.ts';
import { NAME_PATTERN } from '../../../shared/limits.ts';

const HEX = '0123456789abcdef';

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += HEX.charAt(b >> 4) + HEX.charAt(b & 15);
  return out;
}

/**
 * A new session id: 128 random bits as 32 lowercase hex characters. Unguessable, URL-safe and
 * short enough that `p-<id>` still matches NAME_PATTERN (34 of 64 characters).
 */
export function newSessionId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return hex(bytes);
}

/** Hex characters at the end of a colocated id that are searched rather than drawn. */
const SUFFIX_CHARS = 4;
const SUFFIXES = 16 ** SUFFIX_CHARS;

/** The shard that holds a device's sessions (and its Idempotency-Keys). */
export function deviceShard(deviceId: string, shardCount: number): number {
  return shardFor(deviceId, shardCount);
}

/**
 * A new session id that lands on the device's shard: `FNV-1a-32(id) % shardCount` equals
 * `FNV-1a-32(deviceId) % shardCount`, so every session of a device lives in one shard and listing
 * them reads one object, while `GET /sessions/:id` still routes by the id alone.
 *
 * Why not draw whole ids until one fits: that took `shardCount` draws on average (32 random ids,
 * hex-formatted and hashed, per create on the default stack). Instead the first 28 characters
 * are random and hashed once; the last 4 are searched, from a random start, by continuing that
 * hash (4 FNV steps per try, `shardCount` tries expected). The id keeps 112 random bits plus the
 * random start; the chance that none of the 65,536 suffixes fits is (1 - 1/n)^65536, below
 * e^-64 for n <= 1,024 shards (the configuration's maximum).
 */
export function newSessionIdFor(deviceId: string, shardCount: number): string {
  const target = deviceShard(deviceId, shardCount);
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  const prefix = hex(bytes.subarray(0, 16 - SUFFIX_CHARS / 2));
  const prefixHash = fnv1a32(prefix);
  const start = ((bytes[14] ?? 0) << 8) | (bytes[15] ?? 0);
  for (let i = 0; i < SUFFIXES; i++) {
    const suffix = ((start + i) % SUFFIXES).toString(16).padStart(SUFFIX_CHARS, '0');
    if (fnv1a32Update(prefixHash, suffix) % shardCount === target) return prefix + suffix;
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
