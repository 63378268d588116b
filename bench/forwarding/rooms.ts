/**
 * Rooms of the forwarding benchmark (`--rooms N`): each room has its own publishers, subscribers
 * are spread round-robin over the rooms, and a receiver expects only its own room's streams.
 * Pure (unit-tested in rooms.test.ts).
 */

/** The room name of room `r`; room 0 keeps the single-room benchmark's name. */
export function roomName(r: number): string {
  return r === 0 ? 'bench' : `bench-${r}`;
}

/** The room of the `i`-th subscriber join (0-based), round-robin over `rooms`. */
export function roomOfSubscriber(i: number, rooms: number): number {
  return i % rooms;
}

/** Global publisher indexes (probe payload byte 0) of room `r` with `perRoom` publishers each. */
export function publishersOf(r: number, perRoom: number): number[] {
  return Array.from({ length: perRoom }, (_, p) => r * perRoom + p);
}

/**
 * Packets a receiver in `room` should get in a window: what every publisher of that room sent,
 * less its own (`self`, a publisher index) if it is a publisher. `sent[g]` and `publisherRoom[g]`
 * are indexed by global publisher index.
 */
export function expectedPackets(
  sent: readonly number[],
  publisherRoom: readonly number[],
  room: number,
  self: number | undefined,
): number {
  let want = 0;
  for (const [g, n] of sent.entries()) {
    if (publisherRoom[g] === room && g !== self) want += n;
  }
  return want;
}
