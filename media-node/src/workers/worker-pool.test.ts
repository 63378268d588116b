import { describe, expect, it } from 'vitest';
import { leastLoaded } from './worker-pool.ts';

const w = (id: number, sessions: number, cpu = 0, overloaded = false) => ({
  id,
  sessions,
  cpu,
  overloaded,
});

describe('leastLoaded (a new room picks its worker)', () => {
  it('takes the lowest of session share and CPU, ties to the lowest index', () => {
    expect(leastLoaded([w(0, 0), w(1, 0)], 100)?.id).toBe(0);
    expect(leastLoaded([w(0, 3), w(1, 1)], 100)?.id).toBe(1);
    // Fewer sessions but a busier core: CPU counts (50 sessions per worker = share 0.1 vs 0.8).
    expect(leastLoaded([w(0, 5, 0.1), w(1, 2, 0.8)], 100)?.id).toBe(0);
  });

  it('puts workers that refuse new sessions after every other one', () => {
    expect(leastLoaded([w(0, 2, 0.1, true), w(1, 40, 0.7)], 100)?.id).toBe(1);
    // All refusing: still the least loaded (it answers with capacity_exceeded itself).
    expect(leastLoaded([w(0, 4, 0.9, true), w(1, 1, 0.5, true)], 100)?.id).toBe(1);
  });

  it('counts a worker without sessions as idle, whatever its first report says', () => {
    // Worker 1 just loaded werift (a busy first window); worker 0 has the node's first room.
    expect(leastLoaded([w(0, 2, 0.05), w(1, 0, 0.9, true)], 100)?.id).toBe(1);
  });

  it('returns undefined without workers', () => {
    expect(leastLoaded([], 100)).toBeUndefined();
  });
});
