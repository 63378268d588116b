import { describe, expect, it } from 'vitest';
import { leastLoaded } from './worker-pool.ts';

const w = (id: number, sessions: number, cpu = 0, lagP99Ms = 10) => ({
  id,
  sessions,
  cpu,
  lagP99Ms,
});

describe('leastLoaded (a new room picks its worker)', () => {
  it('takes the lowest of session share and CPU, ties to the lowest index', () => {
    expect(leastLoaded([w(0, 0), w(1, 0)], 100, 400)?.id).toBe(0);
    expect(leastLoaded([w(0, 3), w(1, 1)], 100, 400)?.id).toBe(1);
    // Fewer sessions but a busier core: CPU counts (50 sessions per worker = share 0.1 vs 0.8).
    expect(leastLoaded([w(0, 5, 0.1), w(1, 2, 0.8)], 100, 400)?.id).toBe(0);
  });

  it('puts workers with a late event loop after every on-time one', () => {
    expect(leastLoaded([w(0, 0, 0.1, 900), w(1, 40, 0.7)], 100, 400)?.id).toBe(1);
    // All late: still the least loaded (its own load guard decides to refuse).
    expect(leastLoaded([w(0, 4, 0.9, 900), w(1, 1, 0.5, 800)], 100, 400)?.id).toBe(1);
    // OVERLOAD_LAG_MS=0: lag is not a criterion.
    expect(leastLoaded([w(0, 0, 0.1, 900), w(1, 40, 0.7)], 100, 0)?.id).toBe(0);
  });

  it('returns undefined without workers', () => {
    expect(leastLoaded([], 100, 400)).toBeUndefined();
  });
});
