/** FNV-1a 32-bit parameters. */
const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

const encoder = new TextEncoder();

/**
 * One FNV-1a step per byte of `input`'s UTF-8, starting from `state` (unsigned result). ASCII
 * (every id, name and session id the edge hashes per request) is hashed from its char codes,
 * without the encoder's allocation; anything else goes through the encoder.
 */
export function fnv1a32Update(state: number, input: string): number {
  let hash = state;
  for (let i = 0; i < input.length; i++) {
    const code = input.charCodeAt(i);
    if (code >= 0x80) return fnv1a32Bytes(hash, encoder.encode(input.slice(i)));
    hash ^= code;
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

function fnv1a32Bytes(state: number, bytes: Uint8Array): number {
  let hash = state;
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/** FNV-1a-32 over the UTF-8 bytes of `input`, as an unsigned 32-bit integer. */
export function fnv1a32(input: string): number {
  return fnv1a32Update(FNV_OFFSET_BASIS, input);
}

/** The session shard that owns `sessionId`: `FNV-1a-32(sessionId) % shardCount`. */
export function shardFor(sessionId: string, shardCount: number): number {
  if (!Number.isInteger(shardCount) || shardCount < 1) {
    throw new RangeError(`shardCount must be a positive integer, got ${shardCount}`);
  }
  return fnv1a32(sessionId) % shardCount;
}
