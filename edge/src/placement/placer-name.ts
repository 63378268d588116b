/** Which RoomPlacer object places a room. */
import { shardFor } from '../../../shared/hash.ts';
import { deviceShard, isPrivateRoom } from '../session/ids.ts';

export function placerName(index: number): string {
  return `placer-${index}`;
}

/**
 * A named room's placer is FNV-1a-32(room) % count, so all its members ask the same object; a
 * private room (one session) has no state to share and uses the device's shard number, which
 * spreads those creates as widely as the devices are.
 */
export function placerIndex(room: string, deviceId: string, count: number): number {
  return isPrivateRoom(room) ? deviceShard(deviceId, count) : shardFor(room, count);
}
