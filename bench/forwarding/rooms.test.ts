import { describe, expect, it } from 'vitest';
import { expectedPackets, publishersOf, roomName, roomOfSubscriber } from './rooms.ts';

describe('benchmark rooms', () => {
  it('keeps the single-room name for room 0', () => {
    expect(roomName(0)).toBe('bench');
    expect(roomName(1)).toBe('bench-1');
  });

  it('spreads subscribers round-robin', () => {
    expect([0, 1, 2, 3, 4].map((i) => roomOfSubscriber(i, 2))).toEqual([0, 1, 0, 1, 0]);
    expect([0, 1, 2].map((i) => roomOfSubscriber(i, 1))).toEqual([0, 0, 0]);
  });

  it('numbers publishers per room', () => {
    expect(publishersOf(0, 2)).toEqual([0, 1]);
    expect(publishersOf(1, 2)).toEqual([2, 3]);
  });

  it('expects only the own room, less the own stream', () => {
    const sent = [100, 90, 80, 70];
    const rooms = [0, 0, 1, 1];
    expect(expectedPackets(sent, rooms, 0, undefined)).toBe(190);
    expect(expectedPackets(sent, rooms, 1, undefined)).toBe(150);
    expect(expectedPackets(sent, rooms, 0, 1)).toBe(100);
    expect(expectedPackets(sent, rooms, 1, 2)).toBe(70);
    // One room: everyone else's packets, as before rooms existed.
    expect(expectedPackets(sent, [0, 0, 0, 0], 0, 3)).toBe(270);
  });
});
