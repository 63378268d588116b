import { describe, expect, it } from 'vitest';
import { shardFor } from '../../../shared/hash.ts';
import { NAME_PATTERN } from '../../../shared/limits.ts';
import {
  deviceShard,
  isPrivateRoom,
  isSessionId,
  newSessionId,
  newSessionIdFor,
  privateRoom,
} from './ids.ts';

describe('session ids', () => {
  it('are 128 random bits, URL-safe, and fit a private room name', () => {
    const ids = new Set(Array.from({ length: 1000 }, newSessionId));
    expect(ids.size).toBe(1000);
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      expect(isSessionId(id)).toBe(true);
      expect(privateRoom(id)).toMatch(NAME_PATTERN);
      expect(isPrivateRoom(privateRoom(id))).toBe(true);
    }
    expect(isSessionId('../x')).toBe(false);
  });
});

describe('colocated session ids', () => {
  it("land on the device's shard for every shard count, and stay distinct", () => {
    for (const shards of [1, 4, 32, 1024]) {
      const ids = new Set<string>();
      for (let i = 0; i < 50; i++) {
        const device = `device-${i}`;
        const id = newSessionIdFor(device, shards);
        expect(isSessionId(id)).toBe(true);
        expect(shardFor(id, shards)).toBe(deviceShard(device, shards));
        expect(deviceShard(device, shards)).toBe(shardFor(device, shards));
        ids.add(id);
      }
      expect(ids.size).toBe(50);
    }
  });

  it('differ in their random part, not only in the searched suffix', () => {
    const prefixes = new Set<string>();
    for (let i = 0; i < 200; i++) prefixes.add(newSessionIdFor('device-x', 32).slice(0, 28));
    expect(prefixes.size).toBe(200);
  });

  it('reach every shard of a count that is not a power of two', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 300; i++) seen.add(shardFor(newSessionIdFor(`d-${i}`, 7), 7));
    expect(seen.size).toBe(7);
  });
});
