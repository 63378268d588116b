import { describe, expect, it } from 'vitest';
import { createMetrics, topK } from './metrics.ts';

describe('top-K room sizes', () => {
  it('keeps the k largest, largest first, padded with 0', () => {
    expect(topK([], 3)).toEqual([0, 0, 0]);
    expect(topK([2], 3)).toEqual([2, 0, 0]);
    expect(topK([1, 9, 3, 9, 4, 2], 3)).toEqual([9, 9, 4]);
    expect(topK([5, 4, 3, 2, 1], 2)).toEqual([5, 4]);
  });

  it('is exposed per rank, without room names, and ICE outcomes start at 0', async () => {
    const metrics = createMetrics('n1', {
      activeSessions: () => 0,
      activeRooms: () => 3,
      drainRemaining: () => 0,
      roomSizes: () =>
        new Map([
          ['secret-room', 7],
          ['b', 2],
          ['c', 4],
        ]).values(),
    });
    const text = await metrics.registry.metrics();
    expect(text).toContain('media_room_top_participants{rank="1",node_id="n1"} 7');
    expect(text).toContain('media_room_top_participants{rank="3",node_id="n1"} 2');
    expect(text).toContain('media_room_top_participants{rank="5",node_id="n1"} 0');
    expect(text).not.toContain('secret-room');
    for (const result of ['connected', 'failed', 'timeout']) {
      expect(text).toContain(`media_ice_connections_total{result="${result}",node_id="n1"} 0`);
    }
  });
});
