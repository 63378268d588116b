/** Session ids and the private room of a session without one. */
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
